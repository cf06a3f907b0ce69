/* `tradeoff quantize MODEL.h5 [JOB.ini] --precision int8|bf16 --out FILE.h5`: parses
 * the arguments and prints the comparison table; the work is experiments/quantize.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "experiments/quantize.h"

static const char help[] =
    "usage: tradeoff quantize MODEL.h5 [JOB.ini] --precision int8|bf16 --out FILE.h5\n"
    "       [--json FILE] [--calibration-rows N] [--batch N] [--requests N] [--force]\n"
    "\n"
    "Post-training quantization of a linear, logistic, softmax or mlp model: int8 with one\n"
    "symmetric weight scale per output neuron and activation ranges calibrated on N rows\n"
    "(default 2048) of the job's training split (the split `train` made), or bf16 on CPUs\n"
    "with AVX512_BF16/AMX (refused elsewhere). Both run oneDNN's low-precision kernels.\n"
    "JOB.ini defaults to the job stored in MODEL.h5. Writes FILE.h5 (a model.h5 that\n"
    "`predict` reads) and FILE.json: for fp32 and the variant, parameter and file bytes,\n"
    "batch-1 latency (p50/p99 over --requests calls, default 1000, after a warm-up),\n"
    "throughput at --batch rows (default 256; best of 5 rounds) and the test split's\n"
    "metrics with their change; and fp32 on oneDNN's f32 matmul as a timing reference\n"
    "(the kernel's share of the gain). FILE.h5 is not replaced without --force.\n";

static void print_table(const cJSON *r) {
  const cJSON *list = cJSON_GetObjectItem(r, "precisions"), *e;
  printf("%-9s %12s %12s %14s %12s %12s\n", "precision", "param_bytes", "p50_ms(b=1)", "rows/s(batch)",
         "accuracy", "change_pts");
  cJSON_ArrayForEach(e, list) {
    const cJSON *test = cJSON_GetObjectItem(e, "test");
    double acc = json_number_at(test, "accuracy", NULL);
    double pts = json_number_at(e, "test_change", "accuracy_points");
    printf("%-9s %12.0f %12.4f %14.0f ", cJSON_GetStringValue(cJSON_GetObjectItem(e, "precision")),
           json_number_at(e, "param_bytes", NULL), json_number_at(e, "latency_batch1", "p50_ms"),
           json_number_at(e, "throughput", "rows_per_s"));
    if (acc == acc) printf("%12.4f ", acc);
    else printf("%12s ", "-");
    if (pts == pts) printf("%+12.2f\n", pts);
    else printf("%12s\n", "-");
  }
  const cJSON *ref = cJSON_GetObjectItem(r, "reference_fp32_onednn");
  if (ref)
    printf("%-9s %12s %12.4f %14.0f   (fp32 on oneDNN's f32 matmul, timings only)\n", "fp32-dnnl", "",
           json_number_at(ref, "latency_batch1", "p50_ms"), json_number_at(ref, "throughput", "rows_per_s"));
  const cJSON *q = cJSON_GetArrayItem(list, 1);
  double agree = json_number_at(q, "vs_fp32", "argmax_agreement");
  printf("throughput ratio %.2fx, size ratio %.2f", json_number_at(q, "vs_fp32_speed", "throughput_ratio"),
         json_number_at(q, "vs_fp32_speed", "size_ratio"));
  if (agree == agree) printf(", argmax agreement %.4f", agree);
  else printf(", max |prediction - fp32's| %g", json_number_at(q, "vs_fp32", "max_abs_diff"));
  putchar('\n');
  printf("wrote %s and %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(r, "out")),
         cJSON_GetStringValue(cJSON_GetObjectItem(r, "report")));
}

tr_err cmd_quantize(int argc, char **argv) {
  static const struct option longopts[] = {{"precision", required_argument, 0, 'p'},
                                           {"out", required_argument, 0, 'o'},
                                           {"json", required_argument, 0, 'j'},
                                           {"calibration-rows", required_argument, 0, 'c'},
                                           {"batch", required_argument, 0, 'b'},
                                           {"requests", required_argument, 0, 'r'},
                                           {"force", no_argument, 0, 'f'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  quantize_opts o = {.precision = QUANT_FP32, .calibration_rows = QUANTIZE_CALIBRATION_ROWS,
                     .batch = QUANTIZE_BATCH, .latency_requests = 1000};
  const char *precision = NULL;
  tr_err rc = TR_OK;
  int opt;
  opterr = 0;
  optind = 1;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'p': precision = optarg; break;
    case 'o': o.out_path = optarg; break;
    case 'j': o.json_path = optarg; break;
    case 'c':
      rc = cli_parse_size("quantize", "--calibration-rows", optarg, 1, QUANTIZE_MAX_CALIBRATION_ROWS,
                          &o.calibration_rows);
      break;
    case 'b': rc = cli_parse_size("quantize", "--batch", optarg, 1, 65536, &o.batch); break;
    case 'r': rc = cli_parse_size("quantize", "--requests", optarg, 1, 1000000, &o.latency_requests); break;
    case 'f': o.force = true; break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: return cli_bad_option("quantize", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind >= argc) return tr_error_set(TR_EUSAGE, "quantize", "MODEL.h5 is required (see --help)");
  o.model_path = argv[optind++];
  if (optind < argc) o.job_path = argv[optind++];
  if (optind != argc) return tr_error_set(TR_EUSAGE, "quantize", "unexpected argument '%s'", argv[optind]);
  if (!precision) return tr_error_set(TR_EUSAGE, "quantize", "--precision int8|bf16 is required");
  int p = quant_precision_parse(precision);
  if (p != QUANT_INT8 && p != QUANT_BF16)
    return tr_error_set(TR_EUSAGE, "quantize", "--precision: '%s' is not int8 or bf16", precision);
  o.precision = (quant_precision)p;
  const char *bad = quantize_check_opts(&o);
  if (bad) return tr_error_set(TR_EUSAGE, "quantize", "%s", bad);
  cJSON *r = NULL;
  rc = quantize_run(&o, &r);
  if (rc == TR_OK) print_table(r);
  cJSON_Delete(r);
  return rc;
}
