/* HDF5 files in S3: a read-only libhdf5 file driver whose reads are ranged GETs of the
 * process's S3 client (io/s3client.h), so every HDF5 reader of the project (the data
 * loaders, info, the layout of a streamed data set) opens an s3:// URL as it opens a
 * path. Metadata reads go through a small per-file cache of aligned blocks (one GET
 * serves many small metadata reads); raw-data reads of a block or more are one GET.
 *
 * Why not libhdf5's own read-only S3 driver (ros3, in Debian's 1.10.8): it takes no
 * session token (AWS_SESSION_TOKEN) before 1.14, no endpoint other than the URL it is
 * given, does not retry a failed or throttled request, opens a connection per file, and
 * its GETs bypass our counters and connection pool. This driver is ~200 lines on the
 * client that the storage backend uses anyway. */
#ifndef TR_H5S3_H
#define TR_H5S3_H
#include <hdf5.h>

/* A new file access property list using the driver (close it with H5Pclose); negative
 * when HDF5 refuses. */
hid_t h5s3_fapl(void);
#endif
