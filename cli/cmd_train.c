/* `tradeoff train JOB.ini`: parses the arguments, loads the job, installs the SIGTERM/
 * SIGINT handlers that ask the run to checkpoint and stop, shows progress, and prints
 * the summary; the run itself is experiments/run.h. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/timer.h"
#include "experiments/job.h"
#include "experiments/run.h"
#include "experiments/runfiles.h"

static const char help[] =
    "usage: tradeoff train JOB.ini [--set SECTION.KEY=VALUE]... [--out DIR] [--resume]\n"
    "                      [--force] [--quiet] [--until-epoch N] [--prune-below SPEC]\n"
    "\n"
    "Trains the job's model, then writes OUT/result.json, OUT/history.csv and\n"
    "OUT/model.h5. OUT defaults to runs/<job name>, or runs/<job name>-2, -3... when that\n"
    "holds an earlier run (never replaced); an --out DIR that holds a run is refused\n"
    "unless --force (replace it) or --resume (continue it). Checkpoints go to checkpoint.dir\n"
    "(default OUT/checkpoint) every checkpoint.every_epochs epochs and on SIGTERM or\n"
    "SIGINT, after which the run exits 0 with stop_reason \"interrupted\"; --resume\n"
    "continues from the checkpoint to the result an uninterrupted run gives.\n"
    "  --until-epoch N     stop after epoch N (stop_reason \"rung\"): checkpoint and outputs\n"
    "                      written; --resume --until-epoch M continues it (searches' rungs)\n"
    "  --prune-below SPEC  COLUMN:E=V,E=V,...: stop (stop_reason \"pruned\") after epoch E when\n"
    "                      history's COLUMN (val_loss, val_auc...) is worse than V (the\n"
    "                      median rule of `tradeoff sweep`, prune = median)\n"
    "cost.budget_usd = X stops the run (stop_reason \"budget\") before an epoch whose\n"
    "projected cost would exceed X, with alerts at 50/80/100% (result.json cost.budget).\n"
    "Job file keys and their defaults:\n";

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { stop_requested = sig; }

typedef struct {
  const char *job_path;
  char *out_dir, *name;
  bool quiet, resume, force, help;
  size_t until_epoch;
  run_prune prune;
  bool has_prune;
  char **sets;
  size_t n_sets;
} args;

static tr_err parse_args(int argc, char **argv, args *a) {
  static const struct option longopts[] = {
      {"set", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
      {"resume", no_argument, 0, 'r'},    {"quiet", no_argument, 0, 'q'},
      {"force", no_argument, 0, 'f'},     {"until-epoch", required_argument, 0, 'u'},
      {"prune-below", required_argument, 0, 'p'},
      {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
  if (!(a->sets = calloc((size_t)argc, sizeof(char *)))) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
    switch (opt) {
    case 's': a->sets[a->n_sets++] = optarg; break;
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'r': a->resume = true; break;
    case 'f': a->force = true; break;
    case 'q': a->quiet = true; break;
    case 'u': {
      tr_err rc = cli_parse_size("train", "--until-epoch", optarg, 1, 1000000, &a->until_epoch);
      if (rc != TR_OK) return rc;
      break;
    }
    case 'p': {
      run_prune_free(&a->prune);
      tr_err rc = run_prune_parse(optarg, &a->prune);
      if (rc != TR_OK) return rc;
      a->has_prune = true;
      break;
    }
    case 'h': a->help = true; return TR_OK;
    default: return cli_bad_option("train", argv, opt);
    }
  }
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "train", "expected one JOB.ini (see tradeoff train --help)");
  a->job_path = argv[optind];
  if (!(a->name = path_stem(a->job_path))) return tr_error_code();
  return TR_OK;
}

/* The default OUT: runs never clobber runs, so the next free version of runs/<job>, or
 * with --resume the latest one (said when it is not runs/<job> itself). */
static tr_err default_out(args *a) {
  char *base = path_default_out(a->job_path, "");
  if (!base) return tr_error_code();
  a->out_dir = a->resume ? runfiles_latest_dir(base) : runfiles_next_dir(base);
  if (a->out_dir && strcmp(a->out_dir, base) != 0 && !a->resume)
    log_info("train: %s holds an earlier run: this one goes to %s (--out DIR to choose)", base, a->out_dir);
  free(base);
  return a->out_dir ? TR_OK : tr_error_code();
}

static void start_clock(void *user) {
  progress *p = user;
  p->start = p->epoch_start = tr_now();
}

static void show_step(void *user, int epoch, size_t step, size_t steps) { progress_step(user, epoch, step, steps); }

static void show_epoch(void *user, const train_epoch *e) {
  progress_epoch(user, e->epoch, e->train_loss, e->val_loss, e->val_monitor);
}

/* "train: 12 epochs (best 9, patience), test accuracy 0.9512, 1.23s, $0.0002; wrote ..." */
static void print_summary(const cJSON *result, const char *out_dir) {
  const char *key = strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(result, "task")), "regression") ? "accuracy" : "rmse";
  char usd[FMT_USD_LEN], *path = path_join(out_dir, RUNFILES_RESULT);
  fmt_usd(json_number_at(result, "cost", "total_usd"), usd, sizeof usd);
  log_info("train: %.0f epochs (best %.0f, %s), test %s %.4f, %.2fs, %s; wrote %s",
           json_number_at(result, "epochs_run", NULL), json_number_at(result, "best_epoch", NULL),
           cJSON_GetStringValue(cJSON_GetObjectItem(result, "stop_reason")), key,
           json_number_at(result, "test", key), json_number_at(result, "time", "train_s"), usd, path ? path : out_dir);
  free(path);
}

static tr_err train(const args *a, dist_ctx *dist, run_cache *cache, double billed_before_s) {
  job *j = job_load(a->job_path, a->sets, a->n_sets);
  if (!j) return tr_error_code();
  progress prog = progress_start((int)j->optimizer.epochs, j->early_stopping.monitor, a->quiet || dist->rank != 0);
  run_opts o = {.name = a->name, .out_dir = a->out_dir, .resume = a->resume, .force = a->force, .stop = &stop_requested,
                .on_start = start_clock, .on_epoch = show_epoch, .on_step = show_step, .user = &prog,
                .until_epoch = (int)a->until_epoch, .prune = a->has_prune ? &a->prune : NULL,
                .cache = cache, .billed_before_s = billed_before_s};
  prog.batch_rows = (size_t)j->optimizer.batch_size;
  struct sigaction sa = {.sa_handler = on_signal}, old_term, old_int;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGINT, &sa, &old_int);
  cJSON *result = NULL;
  tr_err rc = run_train(j, &o, dist, &result);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGINT, &old_int, NULL);
  progress_end(&prog);
  if (result && dist->rank == 0 && !a->quiet) print_summary(result, a->out_dir);
  cJSON_Delete(result);
  job_free(&j);
  return rc;
}

tr_err cmd_train(int argc, char **argv, dist_ctx *dist) { return cmd_train_in(argc, argv, dist, NULL, 0, NULL); }

tr_err cmd_train_in(int argc, char **argv, dist_ctx *dist, run_cache *cache, double billed_before_s, int *signal) {
  args a = {0};
  stop_requested = 0;
  tr_err rc = parse_args(argc, argv, &a);
  if (rc == TR_OK && a.help) {
    fputs(help, stdout);
    job_print_help(stdout);
  } else if (rc == TR_OK) {
    log_set_quiet(a.quiet || dist->rank != 0); /* rank 0 speaks for the job */
    log_set_rank(dist->size > 1 ? dist->rank : -1);
    if (!a.out_dir) rc = default_out(&a);
    if (rc == TR_OK) rc = train(&a, dist, cache, billed_before_s);
  }
  if (signal) *signal = (int)stop_requested;
  free(a.sets);
  free(a.out_dir);
  free(a.name);
  run_prune_free(&a.prune);
  return rc;
}
