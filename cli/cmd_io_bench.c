/* `tradeoff io-bench JOB.ini`: parses the arguments, loads the job, runs the DLIO-style
 * storage benchmark (experiments/iobench.h) and prints its summary. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "experiments/iobench.h"
#include "experiments/job.h"
#include "experiments/runfiles.h"

static const char help[] =
    "usage: tradeoff io-bench JOB.ini|WORKLOAD.yaml [--set SECTION.KEY=VALUE]...\n"
    "                         [--clock real|virtual] [--out DIR] [--quiet]\n"
    "\n"
    "JOB.ini is a job file; a .yaml/.yml file is a DLIO benchmark workload, read unchanged\n"
    "(dataset, reader, train, metric, storage: mapped onto [workload] and [storage]; keys\n"
    "it does not model are named in a warning). --set applies after either.\n"
    "Progress (epoch, batch, requests, MB/s, ETA) goes to stderr: a bar on a terminal,\n"
    "else a line every 10 s and at each epoch's end.\n"
    "\n"
    "Reads the data set of [data] train (or the synthetic one of [workload] files) through\n"
    "the [storage] backend with the batch loader, emulating workload.computation_time\n"
    "seconds of compute per batch, and writes OUT/io.json (OUT defaults to\n"
    "runs/<job name>-io) with DLIO's metrics: AU per epoch and its mean, whether it meets\n"
    "workload.au, throughput, I/O rate, bytes, requests, cache hits and cost.\n"
    "--clock real (default) truly waits for the modelled storage; --clock virtual\n"
    "simulates the same loader and model without reading or waiting.\n"
    "Job file keys and their defaults:\n";

typedef struct {
  const char *job_path, *clock;
  char *out_dir;
  bool quiet;
  char **sets;
  size_t n_sets;
} args;

static tr_err parse(int argc, char **argv, args *a, bool *help_only) {
  static const struct option longopts[] = {
      {"set", required_argument, 0, 's'},   {"clock", required_argument, 0, 'c'},
      {"out", required_argument, 0, 'o'},   {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
  if (!(a->sets = calloc((size_t)argc, sizeof(char *))))
    return tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  a->clock = "real";
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
    switch (opt) {
    case 's': a->sets[a->n_sets++] = optarg; break;
    case 'c': a->clock = optarg; break;
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'q': a->quiet = true; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("io-bench", argv, opt);
    }
  }
  if (strcmp(a->clock, "real") != 0 && strcmp(a->clock, "virtual") != 0)
    return tr_error_set(TR_EUSAGE, "io-bench", "--clock must be real or virtual, got '%s'", a->clock);
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "io-bench", "expected one JOB.ini (see tradeoff io-bench --help)");
  a->job_path = argv[optind];
  if (!a->out_dir && !(a->out_dir = path_default_out(a->job_path, "-io"))) return tr_error_code();
  return TR_OK;
}

/* "io-bench: s3 real clock: AU 97.1% (meets 90%), 51234 samples/s, 210.3 MB/s, $0.0001; wrote ..." */
static void print_summary(const cJSON *o, const char *out_dir) {
  double au = json_number_at(o, "train_au_mean_percentage", NULL);
  double want = json_number_at(o, "train_au_expectation_percentage", NULL);
  char usd[FMT_USD_LEN], *path = path_join(out_dir, RUNFILES_IO);
  fmt_usd(json_number_at(o, "cost", "total_usd"), usd, sizeof usd);
  log_info("io-bench: %s %s clock: AU %.1f%% (%s %.0f%%), %.0f samples/s, %.1f MB/s, %s; wrote %s",
           cJSON_GetStringValue(cJSON_GetObjectItem(o, "backend")), cJSON_GetStringValue(cJSON_GetObjectItem(o, "clock")),
           au, au >= want ? "meets" : "below", want, json_number_at(o, "train_throughput_samples_per_second", NULL),
           json_number_at(o, "train_io_mean_MB_per_second", NULL), usd, path ? path : out_dir);
  free(path);
}

/* The benchmark's progress on stderr (cli/progress.h). */
static void on_tick(void *ctx, const iobench_tick *t) {
  progress_io(ctx, t->epoch, t->epochs, t->batch, t->batches, (unsigned long long)t->requests, (double)t->bytes,
              t->elapsed_s);
}

tr_err cmd_io_bench(int argc, char **argv) {
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
    progress p = progress_start(j ? (int)j->workload.epochs : 0, "", a.quiet);
    p.last_draw = p.start; /* the first line after PROGRESS_LINE_S, or at an epoch's end */
    rc = j ? iobench_run_with(j, !strcmp(a.clock, "virtual"), a.out_dir, on_tick, &p, &result) : tr_error_code();
    progress_end(&p);
    if (rc == TR_OK) print_summary(result, a.out_dir);
    cJSON_Delete(result);
    job_free(&j);
  }
  free(a.sets);
  free(a.out_dir);
  return rc;
}
