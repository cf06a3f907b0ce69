/* The files of a train run's directory (DESIGN.md "Outputs of train"), written and read
 * in one place: OUT/result.json, OUT/history.csv (written here, parsed here for the
 * report), OUT/model.h5 and OUT/checkpoint/checkpoint.h5, and the clean-up of the
 * temporaries a killed run leaves.
 *
 * model.h5, history.csv and result.json are one set (run.c): the old result.json is
 * removed before the others are written and the new one renamed into place last, so
 * result.json exists only beside the model.h5 and history.csv of the same run, complete;
 * no result.json means the set is incomplete (a run that failed or was killed while
 * writing). Each file is written atomically (common/atomic_file.h). */
#ifndef TR_RUNFILES_H
#define TR_RUNFILES_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "trainer/train.h"

#define RUNFILES_RESULT "result.json"
#define RUNFILES_HISTORY "history.csv"
#define RUNFILES_MODEL "model.h5"
#define RUNFILES_IO "io.json"             /* io-bench's result */
#define RUNFILES_CHECKPOINT "checkpoint.h5"

/* Writes history.csv atomically (DESIGN.md's contract): the header epoch,train_loss,
 * val_loss,lr,epoch_s,io_wait_s,comm_s then train_<m>,val_<m> for each metric m of
 * train_history_metrics(head, monitor), and one row per epoch of rows[0..n); an lr that
 * is NaN (lbfgs) is an empty field. No column name appears twice. */
tr_err runfiles_write_history(const char *path, const train_epoch *rows, int n, loss_head head,
                              const char *monitor);

/* The history.csv column of validation metric `metric` into out (cap bytes, cut to fit):
 * "val_<metric>", and val_loss for log_loss (the validation loss is its log loss). */
void runfiles_val_column(const char *metric, char *out, size_t cap);

/* The columns of history.csv every reader needs. */
typedef struct {
  size_t n;
  double *epoch, *train_loss, *val_loss;
} runfiles_history;

/* Reads path into h (h zeroed first), its columns found by name in the header (any
 * order; the first of a repeated name, as older versions wrote val_loss twice); *missing
 * (and TR_OK) when the file does not exist. Errors: TR_EINPUT "path:LINE: ..." for a
 * header without epoch, train_loss and val_loss, a row whose fields in those columns are
 * not numbers, an empty file; TR_EIO; TR_ENOMEM. */
tr_err runfiles_read_history(const char *path, runfiles_history *h, bool *missing);
void runfiles_history_free(runfiles_history *h);

/* The column `name` of history.csv at path: *v (malloc'd, epoch order) and *n rows; an
 * empty field (or "nan") reads as NaN. Errors: TR_EINPUT "path:LINE: ..." for a header
 * without the column or a field that is not a number, TR_EIO (a missing file too),
 * TR_ENOMEM. */
tr_err runfiles_read_column(const char *path, const char *name, double **v, size_t *n);

/* True when dir holds a run's outputs (result.json, model.h5, history.csv or
 * checkpoint/checkpoint.h5): a new run there would replace them. */
bool runfiles_holds_run(const char *dir);

/* Run directories that never clobber each other, as Lightning's version_N: base itself
 * when it holds no run, else base-2, base-3, ... the first that holds none (malloc'd). */
char *runfiles_next_dir(const char *base);
/* The newest of base, base-2, base-3... that holds a run (the one --resume continues);
 * base when none does (malloc'd). */
char *runfiles_latest_dir(const char *base);

/* Removes the temporaries (NAME.tmp.*: files, and the private directories of writers
 * that create their own files) of result.json, history.csv and model.h5 in dir and of
 * the checkpoint at ckpt_path: a run killed while writing leaves them, and the complete
 * files were never replaced. The caller holds dir's lock (common/dirlock.h): a live
 * run's temporaries look the same. */
void runfiles_remove_stale(const char *dir, const char *ckpt_path);
/* The same for the temporaries of one file name in dir (a sweep's results.jsonl). */
void runfiles_remove_temporaries(const char *dir, const char *name);
#endif
