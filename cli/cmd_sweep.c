/* `tradeoff sweep SWEEP.ini`: parses the arguments and the sweep file, then runs the
 * points (experiments/sweep_run.h), or writes the Slurm job array and says how to
 * submit it. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/path.h"
#include "common/shell.h"
#include "experiments/sweep.h"
#include "experiments/sweep_run.h"

static const char help[] =
    "usage: tradeoff sweep SWEEP.ini [--out DIR] [--emit-slurm] [--point I] [--merge] [--force]\n"
    "\n"
    "Runs every point of the sweep (variants x grid) and writes DIR/results.jsonl, one\n"
    "JSON line per run: the run's result.json (or io.json) plus \"point\" (id, variant,\n"
    "kind, label, ranks, set, dir). DIR defaults to runs/<sweep name>. Points with more\n"
    "than one rank run under `mpirun -n K` ($TRADEOFF_LAUNCHER replaces mpirun, e.g.\n"
    "srun). Points are keyed by their resolved configuration: a restart, or a run of the\n"
    "edited file, reuses the points whose configuration is unchanged, runs changed and new\n"
    "ones (resuming interrupted train points), and drops removed ones from results.jsonl.\n"
    "  --force        use a DIR that holds another sweep file's runs\n"
    "\n"
    "  --emit-slurm   write DIR/sweep.sbatch (a job array, one task per point) and print\n"
    "                 how to submit it and merge the results, without running anything\n"
    "  --point I      run only point I (1-based), as each array task does\n"
    "  --merge        rebuild DIR/results.jsonl from DIR/points/*/record.json\n"
    "\n"
    "Sweep file: [sweep] job, kind (train|io-bench), clock (real|virtual), metric;\n"
    "[variant.NAME] SECTION.KEY = VALUE overrides; [grid] SECTION.KEY = v1, v2, ... and\n"
    "ranks = 1, 2, ...; [project] instances = TYPE, ... (rightsizing, labelled projected).\n"
    "\n"
    "Searches ([sweep] search = grid|random|halving|hyperband; README \"Searches and\n"
    "budgets\"): trials = N samples of [space] (KEY = a, b | uniform(a, b) |\n"
    "loguniform(a, b) | int(a, b)), seed; halving (ASHA) and hyperband: eta (3),\n"
    "min_epochs, max_epochs; prune = median with prune_after, prune_startup; budget_usd;\n"
    "parallel = K trials at once. Rung decisions use val_<metric> of history.csv; each\n"
    "record's point.search holds them, DIR/search.json the totals. --emit-slurm writes\n"
    "one driver job that runs the search in its allocation.\n"
    "[sweep] runner = worker (default) runs the train jobs of one rank, grid points and\n"
    "search jobs, in `tradeoff worker` processes that load each data set once (its\n"
    "start-up billed to its first job); runner = process: each its own `tradeoff train`.\n";

typedef struct {
  const char *sweep_path;
  char *out_dir;
  bool emit_slurm, merge_only, force, help;
  long point;  /* 1-based; 0 = all */
} args;

static tr_err parse(int argc, char **argv, args *a) {
  static const struct option longopts[] = {
      {"out", required_argument, 0, 'o'},   {"emit-slurm", no_argument, 0, 'e'},
      {"point", required_argument, 0, 'p'}, {"merge", no_argument, 0, 'm'},
      {"force", no_argument, 0, 'f'},
      {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
  int opt;
  opterr = 0;
  optind = 1;
  size_t point = 0;
  tr_err rc = TR_OK;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'e': a->emit_slurm = true; break;
    case 'm': a->merge_only = true; break;
    case 'f': a->force = true; break;
    case 'p': rc = cli_parse_size("sweep", "--point", optarg, 1, LONG_MAX, &point); a->point = (long)point; break;
    case 'h': a->help = true; return TR_OK;
    default: return cli_bad_option("sweep", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "sweep", "expected one SWEEP.ini (see tradeoff sweep --help)");
  a->sweep_path = argv[optind];
  if (!a->out_dir && !(a->out_dir = path_default_out(a->sweep_path, ""))) return tr_error_code();
  return TR_OK;
}

/* The path of this executable, for the children. */
static char *self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return strdup("tradeoff");
  buf[n] = '\0';
  return strdup(buf);
}

static tr_err sweep(const args *a) {
  sweep_spec *s = NULL;
  tr_err rc = sweep_load(a->sweep_path, &s);
  if (rc != TR_OK) return rc;
  char *exe = self_exe(), *script = NULL;
  if (!exe) rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  if (rc == TR_OK && a->emit_slurm) {
    rc = sweep_emit_slurm(s, a->out_dir, exe, a->force, &script);
    char *q_script = rc == TR_OK ? sh_quote(script) : NULL, *q_sweep = sh_quote(s->path), *q_out = sh_quote(a->out_dir);
    if (rc == TR_OK && q_script && q_sweep && q_out)
      printf(sweep_is_search(s) ? "wrote %s (a driver job for the search's %zu trials)\nsubmit:  sbatch %s\n"
                                  : "wrote %s (%zu points)\nsubmit:  sbatch %s\nthen:    tradeoff sweep %s --out %s --merge\n",
             script, sweep_count(s), q_script, q_sweep, q_out);
    free(q_script);
    free(q_sweep);
    free(q_out);
  } else if (rc == TR_OK) {
    sweep_run_opts o = {.out_dir = a->out_dir, .exe = exe, .point = a->point, .merge_only = a->merge_only,
                        .force = a->force};
    rc = sweep_run(s, &o);
  }
  free(script);
  free(exe);
  sweep_free(&s);
  return rc;
}

tr_err cmd_sweep(int argc, char **argv) {
  args a = {0};
  tr_err rc = parse(argc, argv, &a);
  if (rc == TR_OK && a.help) fputs(help, stdout);
  else if (rc == TR_OK) rc = sweep(&a);
  free(a.out_dir);
  return rc;
}
