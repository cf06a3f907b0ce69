/* `tradeoff info FILE`: a JSON description of a data file on stdout (jq-friendly):
 * HDF5 files are described from their metadata and labels, text files after parsing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "io/info.h"

static const char help[] =
    "usage: tradeoff info FILE [--x-dataset X] [--y-dataset y]\n"
    "\n"
    "Prints JSON: rows, features, dtype, chunking, compression, label counts (or the\n"
    "range of a real-valued target). FILE is .h5/.hdf5, .csv or .libsvm (.gz ok).\n";

tr_err cmd_info(int argc, char **argv) {
  static const struct option longopts[] = {{"x-dataset", required_argument, 0, 'x'},
                                           {"y-dataset", required_argument, 0, 'y'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  const char *xname = "X", *yname = "y";
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'x': xname = optarg; break;
    case 'y': yname = optarg; break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: return cli_bad_option("info", argv, opt);
    }
  }
  if (optind != argc - 1) return tr_error_set(TR_EUSAGE, "info", "expected one FILE");
  const char *path = argv[optind];
  cJSON *o = NULL;
  tr_err rc = info_describe(path, xname, yname, &o);
  if (rc == TR_OK) rc = json_print(o);
  cJSON_Delete(o);
  return rc;
}
