/* The one registry of storage backends. Everything that lists backends derives from
 * this list: storage.backend's choices and the job's [storage] keys (each backend's own
 * options), the bill, `--help`, and the conformance tests. To add a backend, write
 * io/backends/<name>.c defining `const struct storage_ops stg_<name>_ops` and add its
 * name here; nothing else changes. */
#include "io/storage_backend.h"

#define STG_BACKENDS(X) X(local) X(null) X(s3) X(efs) X(fsx) X(s3real)

#define DECLARE(name) extern const struct storage_ops stg_##name##_ops;
STG_BACKENDS(DECLARE)
#undef DECLARE

#define ENTRY(name) &stg_##name##_ops,
const struct storage_ops *const stg_registry[] = {STG_BACKENDS(ENTRY)};
#undef ENTRY
const size_t stg_registry_count = sizeof stg_registry / sizeof stg_registry[0];
