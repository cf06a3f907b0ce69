/* The `null` backend (fio's null engine): no I/O at all, every read returns zeros at
 * once. Measures the compute alone; the loader skips decoding its buffers. */
#include "io/storage_backend.h"

const struct storage_ops stg_null_ops = {.name = "null", .zero_filled = true};
