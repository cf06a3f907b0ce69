/* The tradeoff executable: dispatches to one subcommand, prints the first error as
 * "tradeoff: WHERE: what is wrong" and exits 0, 1 (runtime failure) or 2 (bad usage,
 * configuration or input). `train` runs under MPI (a singleton without mpirun); an error
 * on any rank of a multi-rank job is printed by that rank and ends every rank with
 * MPI_Abort, so no rank waits forever in a collective. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "dist/dist.h"
#include "io/s3client.h"

static const char usage[] =
    "usage: tradeoff SUBCOMMAND [ARGS]\n"
    "\n"
    "Train baseline and MLP models, emulate the storage they read from, and price every\n"
    "run, to decide with numbers between models, storage, node counts and spot.\n"
    "\n"
    "subcommands:\n"
    "  train JOB.ini [--set SECTION.KEY=VALUE]... [--out DIR] [--resume] [--force] [--quiet]\n"
    "                             OUT: runs/<job>, or runs/<job>-N when that holds a run\n"
    "  gen --task classification|regression --rows N --features D [--classes K]\n"
    "      [--informative I] [--noise F] [--weights W0,W1,..] [--seed S]\n"
    "      [--shards M] [--compress 0-9] --out PATH.h5|DIR\n"
    "  import FILE(.csv|.libsvm|.svm)[.gz] --out FILE.h5 [--label-column NAME|INDEX]\n"
    "  predict --model DIR/model.h5 --data FILE [--out preds.csv]\n"
    "  quantize MODEL.h5 [JOB.ini] --precision int8|bf16 --out FILE.h5 [--force]\n"
    "                             int8/bf16 variant (oneDNN) measured against fp32\n"
    "  info FILE|s3://BUCKET/KEY  JSON on stdout: rows, features, dtype, labels\n"
    "  io-bench JOB.ini|WORKLOAD.yaml [--set SECTION.KEY=VALUE]... [--clock real|virtual] [--out DIR]\n"
    "                             read through emulated storage (DLIO metrics in io.json)\n"
    "  sweep SWEEP.ini [--out DIR] [--force] [--emit-slurm] [--point I] [--merge]\n"
    "                             run a grid of jobs into DIR/results.jsonl\n"
    "  recommend DIR --metric NAME --min VALUE [--deadline-h H] [--top N] [--json]\n"
    "                             the cheapest runs of a sweep that meet a target\n"
    "  report DIR [--out DIR] [--metric NAME]\n"
    "                             figures (gnuplot PNG/SVG), report.html and report.md\n"
    "  serve-bench MODEL.h5 [JOB.ini] [--set serve.KEY=VALUE]... [--out DIR] [--quiet]\n"
    "                             latency, throughput, memory and deployment cost (serve.json)\n"
    "  calibrate s3://BUCKET/PREFIX/|DIR [--out FILE.ini] [--seconds S] [--bytes B]\n"
    "                             measure real storage, fit its model: a [storage] section\n"
    "\n"
    "  worker                     internal: a sweep's training worker (train requests on stdin)\n"
    "\n"
    "  tradeoff SUBCOMMAND --help   options of one subcommand\n"
    "  tradeoff --version\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 bad usage, configuration or input\n";

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 2;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    fputs(usage, stdout);
    return 0;
  }
  if (!strcmp(sub, "--version")) {
    printf("tradeoff %s\n", TRADEOFF_VERSION);
    return 0;
  }
  if (!strcmp(sub, "train") || !strcmp(sub, "worker")) {
    dist_ctx dist = {.rank = 0, .size = 1, .local_size = 1};
    /* a worker runs the one-rank jobs of a sweep (cmd_worker.c): one process, no MPI (a
       singleton's start-up, its orted among it, is not paid at all) */
    bool worker = !strcmp(sub, "worker");
    tr_err rc = worker ? TR_OK : dist_init(&argc, &argv, &dist);
    if (rc == TR_OK) rc = (worker ? cmd_worker : cmd_train)(argc - 1, argv + 1, &dist);
    if (rc != TR_OK) {
      const char *msg = tr_error_message();
      if (dist.size > 1)
        fprintf(stderr, "tradeoff: [rank %d] %s\n", dist.rank, *msg ? msg : tr_strerror(rc));
      else
        fprintf(stderr, "tradeoff: %s\n", *msg ? msg : tr_strerror(rc));
      fflush(stderr);
      if (dist.size > 1) dist_abort(1); /* any failure ends the whole job: exit 1 */
    }
    dist_finalize();
    s3c_shutdown(); /* the S3 client's connections, when data came from s3:// */
    return tr_exit_code(rc);
  }
  static const struct {
    const char *name;
    tr_err (*run)(int, char **);
  } commands[] = {{"gen", cmd_gen}, {"import", cmd_import}, {"info", cmd_info},
                  {"predict", cmd_predict}, {"quantize", cmd_quantize}, {"io-bench", cmd_io_bench},
                  {"sweep", cmd_sweep}, {"recommend", cmd_recommend},
                  {"report", cmd_report}, {"serve-bench", cmd_serve_bench},
                  {"calibrate", cmd_calibrate}};
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(sub, commands[i].name) != 0) continue;
    tr_err rc = commands[i].run(argc - 1, argv + 1);
    if (rc != TR_OK) {
      const char *msg = tr_error_message();
      fprintf(stderr, "tradeoff: %s\n", *msg ? msg : tr_strerror(rc));
    }
    s3c_shutdown();
    return tr_exit_code(rc);
  }
  fprintf(stderr, "tradeoff: unknown subcommand '%s' (see tradeoff --help)\n", sub);
  return 2;
}
