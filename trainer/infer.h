/* Inference for serving: a request's raw feature rows through a loaded model (its
 * scaler, net and head) into predictions, with every buffer allocated up front so a
 * request allocates nothing; and the three load generators serve-bench measures with,
 * run on OpenMP threads (each client's OpenBLAS calls single-threaded): closed-loop batch-1
 * clients, an open-loop arrival schedule at a fixed rate served by W workers, and one
 * caller timing batches. This is the one predict path of a model_file: `predict`
 * (experiments/predict.c) and `serve-bench` both reach the net (or a quantized
 * variant's kernels) through infer_rows. */
#ifndef TR_INFER_H
#define TR_INFER_H
#include <stddef.h>

#include "common/error.h"
#include "trainer/model_io.h"

typedef struct infer_ws infer_ws;

/* Buffers for requests of up to max_rows rows of mf (mf must outlive it). NULL with
 * TR_ENOMEM recorded. */
infer_ws *infer_ws_new(const model_file *mf, size_t max_rows);
void infer_ws_free(infer_ws **ws);

/* Predictions of rows raw rows X (rows x inputs, not standardized; rows <= max_rows)
 * into out (rows x outputs): P(second class) (binary), class probabilities
 * (multiclass), or the value in the target's units (regression), at the model's
 * precision (a quantized variant through its oneDNN kernels). TR_EINTERNAL when such a
 * kernel fails. */
tr_err infer_rows(const model_file *mf, infer_ws *ws, const float *X, size_t rows, float *out);

/* The numeric precision of mf's weights ("fp32", "int8", "bf16"), serve.json's
 * "precision". */
const char *infer_precision(const model_file *mf);

/* Bytes of mf's weights (parameters, scaler, class values) and of one request's
 * activations at `rows` rows (the input copy and each layer's output). */
size_t infer_weight_bytes(const model_file *mf);
size_t infer_activation_bytes(const model_file *mf, size_t rows);

/* The rows requests are drawn from: pool_rows raw rows (request i uses row i % pool_rows). */
typedef struct {
  const float *X;
  size_t pool_rows;
} infer_pool;

/* `clients` threads each send warmup + requests batch-1 requests back to back (a closed
 * loop: the next is sent when the answer arrives). lat[c * requests + i] gets client c's
 * i-th timed request's latency in seconds (warm-up not recorded); *wall_s the wall time of
 * the timed part (the last client's end minus the first timed start). */
tr_err infer_closed_loop(const model_file *mf, const infer_pool *p, size_t clients,
                         size_t warmup, size_t requests, double *lat, double *wall_s);

/* An open loop: n batch-1 requests arrive at a constant rate (requests/s) and `workers`
 * threads serve them in arrival order, each waiting for its request's arrival time;
 * lat[i] gets request i's latency in seconds from its arrival (queueing included). warmup
 * requests are served first at the same rate and not recorded. */
tr_err infer_open_loop(const model_file *mf, const infer_pool *p, size_t workers, double rate,
                       size_t warmup, size_t n, double *lat);

/* Rows per second of one caller predicting batches of `batch` rows with `threads`
 * OpenMP/OpenBLAS threads (0: the current setting; restored after): repeats until
 * min_seconds have passed and at least min_reps batches ran, after warmup batches;
 * *reps gets the batches timed. */
tr_err infer_batch_throughput(const model_file *mf, const infer_pool *p, size_t batch, int threads,
                              size_t warmup, size_t min_reps, double min_seconds,
                              double *rows_per_s, size_t *reps);
#endif
