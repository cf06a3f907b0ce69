/* The job's splits outside a run (run_splits.h): a run_state of one process through
 * run_prepare_data, the data step `train` itself uses. */
#include "experiments/run_splits.h"

#include <stdlib.h>
#include <string.h>

#include "experiments/run_internal.h"

tr_err run_load_splits(const job *j, run_splits *out) {
  memset(out, 0, sizeof *out);
  dist_ctx solo = {.rank = 0, .size = 1, .local_size = 1};
  run_state r = {.j = j, .dist = &solo};
  tr_err rc = run_prepare_data(&r);
  out->train = r.train;
  out->val = r.val;
  out->test = r.test;
  out->head = r.head;
  memcpy(out->classes, r.classes, sizeof out->classes);
  out->n_classes = r.n_classes;
  out->scale = r.scale;
  out->target = r.target;
  free(r.train_global);
  free(r.job_train);
  free(r.job_train_at);
  /* the raw-column encoding and class names are the model file's to give (model.h5) */
  prep_free(&r.prep);
  free(r.prep_counts);
  free(r.prep_fit_on);
  tbl_free_names(r.class_names, r.n_class_names);
  if (rc != TR_OK) run_splits_free(out);
  return rc;
}

void run_splits_free(run_splits *s) {
  ds_free(&s->train);
  ds_free(&s->val);
  ds_free(&s->test);
  scaler_free(&s->scale);
}
