/* `tradeoff quantize`: a trained float32 model.h5 made into its int8 or bf16 variant
 * (trainer/quant.h) with the activation ranges calibrated on rows of the job's training
 * split (the split `train` made: the same code, the same seed), then measured against
 * fp32 on this host: model size, batch-1 latency, throughput at a batch size, and the
 * test split's metrics with their change, written as JSON beside the variant. */
#ifndef TR_QUANTIZE_H
#define TR_QUANTIZE_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "trainer/quant.h"

#define QUANTIZE_CALIBRATION_ROWS 2048  /* default rows the activation ranges come from */
#define QUANTIZE_MAX_CALIBRATION_ROWS 1000000
#define QUANTIZE_BATCH 256               /* default throughput batch */

typedef struct {
  const char *model_path;       /* the fp32 model.h5 */
  const char *job_path;         /* NULL: the job stored in the model file */
  quant_precision precision;    /* QUANT_INT8 or QUANT_BF16 */
  const char *out_path;         /* the variant (.h5) */
  const char *json_path;        /* NULL: out_path with .h5 replaced by .json */
  size_t calibration_rows;      /* 1 .. QUANTIZE_MAX_CALIBRATION_ROWS (fewer when the
                                   training split is smaller) */
  size_t batch;                 /* throughput batch, >= 1 */
  size_t latency_requests;      /* batch-1 calls timed (after warm-up) */
  bool force;                   /* replace an existing out_path */
} quantize_opts;

/* NULL or what is wrong with o (names the option). */
const char *quantize_check_opts(const quantize_opts *o);

/* Quantizes, saves the variant atomically, measures fp32 and the variant, writes the
 * JSON atomically and returns its object in *report (caller frees). Errors: TR_EUSAGE
 * (options, an existing out_path without force, bf16 on a CPU without it), model_load's
 * (TR_EINPUT), TR_EINPUT for a model that is already quantized or that does not fit the
 * job's data (features, task, classes, standardization), the job's (TR_ECONFIG), TR_EIO. */
tr_err quantize_run(const quantize_opts *o, cJSON **report);
#endif
