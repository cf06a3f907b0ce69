/* `tradeoff calibrate TARGET`: measures real storage (an s3:// prefix through the real
 * reader, or a directory on a mounted file system) and writes the fitted [storage]
 * section (experiments/calibrate.h does the work). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "experiments/calibrate.h"

static const char help[] =
    "usage: tradeoff calibrate TARGET [--out FILE.ini] [--seconds S] [--bytes B]\n"
    "                          [--backend efs|fsx] [--max-concurrency N]\n"
    "\n"
    "Measures TARGET, an s3://bucket/prefix/ (through the real S3 reader: s3.endpoint_url\n"
    "from AWS_ENDPOINT_URL, credentials the standard way) or a directory on a mounted\n"
    "file system: open/metadata latency per file, time to first byte (p10..p99), one\n"
    "connection's time per request from 64 KiB to 32 MiB, throughput at 1, 2, 4, ...\n"
    "readers until it flattens, and at twice the plateau's readers throughput at each\n"
    "request size (the shared stage: a per-request cost + bytes / rate). Fits the\n"
    "matching backend's model (s3 for s3://; efs, or fsx with --backend fsx, for a\n"
    "directory) and writes a [storage] section with the fitted values, the\n"
    "measurements, the fits' residuals and the date as comments\n"
    "(atomically; without --out it goes to stdout). Append it to a job file whose\n"
    "[storage] section sets none of its keys.\n"
    "  --seconds S          time budget (20)\n"
    "  --bytes B            byte budget (1073741824: never reads a whole data set)\n"
    "  --backend M          the model to fit for a directory: efs (default) or fsx\n"
    "  --max-concurrency N  the most concurrent readers tried (64)\n";

tr_err cmd_calibrate(int argc, char **argv) {
  static const struct option longopts[] = {{"out", required_argument, 0, 'o'},
                                           {"seconds", required_argument, 0, 's'},
                                           {"bytes", required_argument, 0, 'b'},
                                           {"backend", required_argument, 0, 'm'},
                                           {"max-concurrency", required_argument, 0, 'c'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  calib_opts o = {.seconds = 20, .max_bytes = 1u << 30, .backend = NULL, .max_concurrency = 64};
  const char *out = NULL;
  size_t n = 0;
  tr_err rc = TR_OK;
  int opt;
  opterr = 0;
  optind = 1;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': out = optarg; break;
    case 's': rc = cli_parse_double("calibrate", "--seconds", optarg, 0.1, 86400, &o.seconds); break;
    case 'b':
      rc = cli_parse_size("calibrate", "--bytes", optarg, 4096, SIZE_MAX, &n);
      o.max_bytes = n;
      break;
    case 'm': o.backend = optarg; break;
    case 'c':
      rc = cli_parse_size("calibrate", "--max-concurrency", optarg, 1, 1024, &n);
      o.max_concurrency = (int)n;
      break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: return cli_bad_option("calibrate", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1) return tr_error_set(TR_EUSAGE, "calibrate", "expected one TARGET (s3://bucket/prefix/ or a directory)");
  calib_result r; /* calib_run checks the options */
  if ((rc = calib_run(argv[optind], &o, &r)) != TR_OK) return rc;
  if (!out) {
    char *text = calib_ini(&r);
    if (!text) return tr_error_code();
    fputs(text, stdout);
    free(text);
    return TR_OK;
  }
  if ((rc = calib_write(&r, out)) != TR_OK) return rc;
  fprintf(stderr, "tradeoff: calibrate: %s fitted to %s (residual %.1f%%): wrote %s\n", r.backend, r.target,
          100.0 * r.residual, out);
  return TR_OK;
}
