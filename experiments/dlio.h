/* DLIO benchmark workload files (argonne-lcf/dlio_benchmark configs/workload/ YAML files),
 * read unchanged with libyaml and mapped onto the job's keys, so `io-bench` (and any
 * command that loads a job: sweep's job =) runs a DLIO workload as DLIO describes it:
 *   dataset.num_files_train        workload.files
 *   dataset.num_samples_per_file   workload.samples_per_file
 *   dataset.record_length(_bytes)  workload.record_bytes
 *   dataset.format                 the reading order file_shuffle/sample_shuffle mean
 *   reader.batch_size              workload.batch_size
 *   reader.read_threads            storage.read_threads (0, DLIO's main thread: 1)
 *   reader.prefetch_size           storage.prefetch
 *   reader.transfer_size           storage.transfer_kib (bytes, rounded up to KiB)
 *   reader.file_shuffle,           storage.shuffle: sample when sample_shuffle is on
 *   reader.sample_shuffle            (index-based formats: npz, hdf5, jpeg...), file when
 *                                    only file_shuffle is, or for TFRecord (read in order
 *                                    through a shuffle buffer), none when neither
 *   train.epochs                   workload.epochs
 *   train.computation_time         workload.computation_time
 *   train.total_training_steps     workload.steps
 *   metric.au                      workload.au
 *   storage.storage_type           storage.backend (local_fs: local, s3: s3)
 * DLIO's defaults apply to what the file leaves out (batch_size 1, read_threads 1, no
 * shuffle). `model` names the workload; every other key is named in one warning line
 * (file:line: key: not modelled, ignored). */
#ifndef TR_DLIO_H
#define TR_DLIO_H
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/error.h"

/* True when path names a DLIO workload file (.yaml or .yml, any case). */
bool dlio_is_workload(const char *path);

/* Applies the workload file at path to c (a job configuration, job_config_new's keys).
 * Errors (TR_ECONFIG, "path:line: ..."): unreadable file, malformed YAML, a value of the
 * wrong type or out of range, a document that is not a mapping of sections. */
tr_err dlio_apply_file(cfg *c, const char *path);

/* As dlio_apply_file over text[0..len), named name in messages. */
tr_err dlio_apply_text(cfg *c, const char *name, const unsigned char *text, size_t len);
#endif
