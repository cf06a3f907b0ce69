/* `tradeoff serve-bench MODEL.h5 [JOB.ini]`: parses the arguments, loads the job (its
 * [serve] section; defaults without one), runs experiments/serve_bench.h and prints the
 * table of serve.json. */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "experiments/job.h"
#include "experiments/serve_bench.h"

static const char help[] =
    "usage: tradeoff serve-bench MODEL.h5 [JOB.ini] [--set serve.KEY=VALUE]... [--out DIR]\n"
    "                            [--quiet]\n"
    "\n"
    "Measures the model on this host as a service would run it: load time from disk,\n"
    "memory (weights + activations), batch-1 latency p50/p95/p99/max with 1, 2, 4 .. cores\n"
    "concurrent clients (serve.requests each, after serve.warmup not timed), throughput at\n"
    "batch 1 .. serve.max_batch, and the highest request rate whose p95 stays within\n"
    "serve.p95_ms. Then prices a real-time endpoint (autoscaled), serverless, asynchronous\n"
    "and batch transform for the [serve] traffic profile with the catalog's [serving.*]\n"
    "prices, and writes OUT/serve.json (OUT defaults to the model's directory).\n"
    "Job file keys and their defaults (the [serve] section is this command's):\n";

typedef struct {
  const char *model_path, *job_path;
  char *out_dir;
  bool quiet;
  char **sets;
  size_t n_sets;
} args;

static tr_err parse(int argc, char **argv, args *a, bool *help_only) {
  static const struct option longopts[] = {{"set", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
                                           {"quiet", no_argument, 0, 'q'},     {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  if (!(a->sets = calloc((size_t)argc, sizeof(char *)))) return tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
    switch (opt) {
    case 's': a->sets[a->n_sets++] = optarg; break;
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'q': a->quiet = true; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("serve-bench", argv, opt);
    }
  }
  if (optind >= argc || argc - optind > 2)
    return tr_error_set(TR_EUSAGE, "serve-bench", "expected MODEL.h5 [JOB.ini] (see tradeoff serve-bench --help)");
  a->model_path = argv[optind];
  a->job_path = optind + 1 < argc ? argv[optind + 1] : NULL;
  if (!a->out_dir) {
    char *copy = strdup(a->model_path);
    if (!copy || !(a->out_dir = strdup(dirname(copy)))) {
      free(copy);
      return tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
    }
    free(copy);
  }
  return TR_OK;
}

static double num(const cJSON *o, const char *k) { return json_number_at(o, k, NULL); }

static void print_table(const cJSON *o, const char *out_dir) {
  const cJSON *e;
  printf("serve-bench: %s (%s), measured on %s\n",
         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "model"), "path")),
         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "precision")),
         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "provenance"), "host"), "cpu")));
  printf("load %.2f ms (median of 5: %.2f ms), footprint %.2f MB\n", json_number_at(o, "load", "load_ms"),
         json_number_at(o, "load", "load_ms_median"), num(o, "footprint_mb"));
  printf("\n%8s %9s %9s %9s %9s %9s %11s\n", "clients", "requests", "p50_ms", "p95_ms", "p99_ms", "max_ms", "req/s");
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "latency"))
    printf("%8.0f %9.0f %9.4f %9.4f %9.4f %9.4f %11.0f\n", num(e, "clients"), num(e, "requests"), num(e, "p50_ms"),
           num(e, "p95_ms"), num(e, "p99_ms"), num(e, "max_ms"), num(e, "throughput_rps"));
  printf("\n%8s %12s %12s   (one caller, %g BLAS threads)\n", "batch", "rows/s", "ms/batch", num(o, "throughput_threads"));
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "throughput"))
    printf("%8.0f %12.0f %12.4f\n", num(e, "batch"), num(e, "rows_per_s"), num(e, "ms_per_batch"));
  printf("\nmax requests/s with p95 <= %g ms: %.0f\n", json_number_at(o, "capacity", "p95_target_ms"), num(o, "max_rps"));
  const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o, "traffic");
  printf("\ntraffic %s, mean %.4g req/s, peak %.4g req/s; p99 target %g ms\n",
         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tr, "kind")), num(tr, "mean_rps"), num(tr, "peak_rps"),
         num(tr, "p99_target_ms"));
  printf("%-11s %-14s %12s %12s %10s %5s  %s\n", "option", "instance", "USD/month", "USD/1M req", "p99_ms", "meets", "why");
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "deployments")) {
    const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "instance"));
    printf("%-11s %-14s %12.2f %12.4f %10.4g %5s  %s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "option")),
           inst ? inst : "-", num(e, "usd_per_month"), num(e, "usd_per_1m_requests"), num(e, "p99_ms"),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "meets_p99")) ? "yes" : "no",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "why")));
  }
  const cJSON *best = cJSON_GetObjectItemCaseSensitive(o, "cheapest");
  if (cJSON_IsObject(best)) {
    const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(best, "instance"));
    printf("cheapest under the p99 target: %s%s%s, $%.2f/month\n",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(best, "option")), inst ? " on " : "", inst ? inst : "",
           num(best, "usd_per_month"));
  } else printf("no deployment meets the p99 target\n");
  char *path = path_join(out_dir, SERVE_JSON);
  printf("wrote %s\n", path ? path : out_dir);
  free(path);
}

tr_err cmd_serve_bench(int argc, char **argv) {
  args a = {0};
  bool help_only = false;
  tr_err rc = parse(argc, argv, &a, &help_only);
  if (rc == TR_OK && help_only) {
    fputs(help, stdout);
    job_print_help(stdout);
  } else if (rc == TR_OK) {
    log_set_quiet(a.quiet);
    job *j = job_load(a.job_path, a.sets, a.n_sets);
    cJSON *result = NULL;
    rc = j ? serve_bench_run(j, a.model_path, a.out_dir, &result) : tr_error_code();
    if (rc == TR_OK && !a.quiet) print_table(result, a.out_dir);
    cJSON_Delete(result);
    job_free(&j);
  }
  free(a.sets);
  free(a.out_dir);
  return rc;
}
