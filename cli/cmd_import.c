/* `tradeoff import`: CSV or LIBSVM (plain or .gz) to a chunked, compressed HDF5 file
 * that h5py reads; the output appears only when complete. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/timer.h"
#include "io/dataset.h"
#include "io/files.h"
#include "io/h5io.h"
#include "io/load.h"
#include "io/textdata.h"

static const char help[] =
    "usage: tradeoff import FILE(.csv|.libsvm|.svm)[.gz] --out FILE.h5\n"
    "                       [--label-column NAME|INDEX] [--compress 0-9]\n"
    "\n"
    "Converts text data to HDF5 (/X float32 N x D, /y float32, feature names).\n"
    "  --label-column  CSV label column by name or 0-based index; default the column\n"
    "                  named 'label', else the last column\n"
    "  --compress L    gzip level of the HDF5 chunks, 0 = none (4)\n";

tr_err cmd_import(int argc, char **argv) {
  static const struct option longopts[] = {{"out", required_argument, 0, 'o'},
                                           {"label-column", required_argument, 0, 'l'},
                                           {"compress", required_argument, 0, 'c'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  const char *out = NULL, *label = NULL;
  size_t level = 4;
  tr_err rc = TR_OK;
  int opt;
  opterr = 0;
  optind = 1;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': out = optarg; break;
    case 'l': label = optarg; break;
    case 'c': rc = cli_parse_size("import", "--compress", optarg, 0, 9, &level); break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: rc = cli_bad_option("import", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "import", "expected one input FILE (see tradeoff import --help)");
  if (!out) return tr_error_set(TR_EUSAGE, "import", "--out FILE.h5 is required");
  const char *in = argv[optind];
  if (ds_format_of(in) == DS_FORMAT_HDF5) /* io/files.h's one detector, any case */
    return tr_error_set(TR_EUSAGE, in, "is already HDF5; import reads .csv, .libsvm or .svm");
  double t0 = tr_now();
  ds_dataset *d = NULL;
  ds_load_opts lo = {.label_column = label};
  if ((rc = ds_load(in, &lo, &d)) != TR_OK) return rc;
  double t_read = tr_now() - t0;
  h5io_write_opts wo = {.deflate = (int)level};
  rc = h5io_write(out, d, &wo);
  if (rc == TR_OK) {
    struct stat st;
    double mb = stat(in, &st) == 0 ? (double)st.st_size / 1e6 : 0;
    log_info("import: %zu x %zu from %s (%.1f MB read at %.0f MB/s) to %s in %.2fs", d->rows,
             d->cols, in, mb, t_read > 0 ? mb / t_read : 0, out, tr_now() - t0);
  }
  ds_free(&d);
  return rc;
}
