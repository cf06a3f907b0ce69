/* The `local` backend: the files as they are, read with pread(2) from the real disk (or
 * the page cache), with no modelled delay. Every default of the ops table applies. */
#include "io/storage_backend.h"

const struct storage_ops stg_local_ops = {.name = "local"};
