/* `tradeoff gen`: synthetic classification or regression data written as HDF5, one
 * file or M shards (part-00000.h5 ...), each shard written atomically. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/atomic_file.h"
#include "common/log.h"
#include "common/path.h"
#include "common/timer.h"
#include "io/h5io.h"
#include "io/synth.h"

static const char help[] =
    "usage: tradeoff gen --task classification|regression --rows N --features D\n"
    "                    [--classes K] [--informative I] [--noise F] [--weights W0,W1,..]\n"
    "                    [--nonlinear F] [--seed S] [--shards M] [--compress 0-9]\n"
    "                    --out PATH.h5|DIR\n"
    "\n"
    "Synthetic data in the spirit of sklearn's make_classification / make_regression.\n"
    "  --classes K      classes (classification), default 2\n"
    "  --informative I  informative features; default features/4 (classification, at\n"
    "                   least 2) or features/2 (regression). Classification also makes\n"
    "                   informative/2 redundant features (linear combinations); the rest\n"
    "                   are noise\n"
    "  --noise F        classification: fraction of labels replaced at random (0.01);\n"
    "                   regression: standard deviation of Gaussian noise (0.0)\n"
    "  --weights W,...  class proportions, e.g. 0.9,0.1 for imbalance\n"
    "  --nonlinear F    regression: weight of the product terms x_k*x_(k+1) (0)\n"
    "  --seed S         seed (1); the same seed gives the same bytes\n"
    "  --shards M       write M files part-00000.h5 .. into the directory --out (M at\n"
    "                   most 100000)\n"
    "  --compress L     gzip level of the HDF5 chunks, 0 = none (4)\n"
    "Feature names (informative_0, redundant_0, noise_0, ...) are stored with up to 1024\n"
    "features.\n";

/* Shards are named part-00000.h5 ... part-99999.h5 and read back in sorted order, which
 * is their order only while the numbers have five digits. */
#define GEN_MAX_SHARDS 100000

static tr_err parse_weights(const char *text, double **out, size_t *n) {
  size_t cap = 1;
  for (const char *p = text; *p; p++) cap += *p == ',';
  double *w = malloc(cap * sizeof(double));
  if (!w) return tr_error_set(TR_ENOMEM, "gen", "out of memory");
  const char *p = text;
  size_t k = 0;
  while (k < cap) {
    char *end;
    w[k] = strtod(p, &end);
    /* inf, nan and 1e999 (which strtod makes inf) would make degenerate proportions */
    if (end == p || (*end && *end != ',') || !isfinite(w[k]) || w[k] < 0) {
      free(w);
      return tr_error_set(TR_EUSAGE, "gen", "--weights: expected comma-separated finite non-negative "
                                            "numbers, got '%s'", text);
    }
    k++;
    if (!*end) break;
    p = end + 1;
  }
  *out = w;
  *n = k;
  return TR_OK;
}

/* Beyond this many features the generated names ("noise_4711") say nothing and would
 * outweigh the data of small files (a 3,072-feature image shard: 12 KiB of data, 180 KiB
 * of names), which the storage emulation then reads, stores and prices. */
#define GEN_MAX_NAMED_FEATURES 1024

/* Writes rows [start, start+count) of d to path. */
static tr_err write_part(const ds_dataset *d, size_t start, size_t count, const char *path,
                         int level) {
  ds_dataset view = {.rows = count, .cols = d->cols, .X = d->X + start * d->cols,
                     .y = d->y ? d->y + start : NULL,
                     .feature_names = d->cols <= GEN_MAX_NAMED_FEATURES ? d->feature_names : NULL};
  h5io_write_opts o = {.deflate = level};
  return h5io_write(path, &view, &o);
}

tr_err cmd_gen(int argc, char **argv) {
  static const struct option longopts[] = {
      {"task", required_argument, 0, 't'},     {"rows", required_argument, 0, 'n'},
      {"features", required_argument, 0, 'd'}, {"classes", required_argument, 0, 'k'},
      {"informative", required_argument, 0, 'i'}, {"noise", required_argument, 0, 'e'},
      {"weights", required_argument, 0, 'w'},  {"nonlinear", required_argument, 0, 'l'},
      {"seed", required_argument, 0, 's'},     {"shards", required_argument, 0, 'm'},
      {"compress", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
      {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  synth_params p = synth_defaults();
  const char *task = NULL, *out = NULL;
  size_t shards = 0, classes = 2, seed = 1, level = 4;
  double *weights = NULL;
  size_t n_weights = 0;
  bool noise_given = false;
  tr_err rc = TR_OK;
  int opt;
  opterr = 0;
  optind = 1;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 't': task = optarg; break;
    case 'n': rc = cli_parse_size("gen", "--rows", optarg, 1, SIZE_MAX, &p.rows); break;
    case 'd': rc = cli_parse_size("gen", "--features", optarg, 1, SIZE_MAX, &p.features); break;
    case 'k': rc = cli_parse_size("gen", "--classes", optarg, 2, SYNTH_MAX_CLASSES, &classes); break;
    case 'i': rc = cli_parse_size("gen", "--informative", optarg, 1, SIZE_MAX, &p.informative); break;
    case 'e':
      rc = cli_parse_double("gen", "--noise", optarg, 0, 1e12, &p.noise);
      noise_given = true;
      break;
    case 'w':
      free(weights);
      weights = NULL;
      rc = parse_weights(optarg, &weights, &n_weights);
      break;
    case 'l': rc = cli_parse_double("gen", "--nonlinear", optarg, -1e6, 1e6, &p.nonlinear); break;
    case 's': rc = cli_parse_size("gen", "--seed", optarg, 0, SIZE_MAX, &seed); break;
    case 'm': rc = cli_parse_size("gen", "--shards", optarg, 1, GEN_MAX_SHARDS, &shards); break;
    case 'c': rc = cli_parse_size("gen", "--compress", optarg, 0, 9, &level); break;
    case 'o': out = optarg; break;
    case 'h': fputs(help, stdout); free(weights); return TR_OK;
    default: rc = cli_bad_option("gen", argv, opt);
    }
  }
  if (rc == TR_OK && optind < argc)
    rc = tr_error_set(TR_EUSAGE, "gen", "unexpected argument '%s'", argv[optind]);
  if (rc == TR_OK && (!task || (strcmp(task, "classification") && strcmp(task, "regression"))))
    rc = tr_error_set(TR_EUSAGE, "gen", "--task must be classification or regression");
  if (rc == TR_OK && (!p.rows || !p.features || !out))
    rc = tr_error_set(TR_EUSAGE, "gen", "--rows, --features and --out are required");
  if (rc == TR_OK && weights && n_weights != classes)
    rc = tr_error_set(TR_EUSAGE, "gen", "--weights has %zu values for %zu classes", n_weights,
                      classes);
  if (rc == TR_OK && shards > p.rows)
    rc = tr_error_set(TR_EUSAGE, "gen", "--shards %zu exceeds --rows %zu", shards, p.rows);
  if (rc != TR_OK) {
    free(weights);
    return rc;
  }
  bool regression = !strcmp(task, "regression");
  p.classes = (int)classes;
  p.weights = weights;
  p.seed = seed;
  if (regression && !noise_given) p.noise = 0.0;
  double t0 = tr_now();
  ds_dataset *d = NULL;
  rc = regression ? synth_regression(&p, &d) : synth_classification(&p, &d);
  free(weights);
  if (rc != TR_OK) return rc;
  double t_gen = tr_now() - t0;
  if (shards == 0) {
    rc = write_part(d, 0, d->rows, out, (int)level);
  } else {
    rc = tr_mkdir_p(out);
    for (size_t s = 0; rc == TR_OK && s < shards; s++) {
      size_t start, count;
      ds_part_range(d->rows, (int)s, (int)shards, &start, &count);
      char name[32], *path;
      snprintf(name, sizeof name, "part-%05zu.h5", s);
      if (!(path = path_join(out, name)))
        rc = tr_error_code();
      else
        rc = write_part(d, start, count, path, (int)level);
      free(path);
    }
  }
  if (rc == TR_OK)
    log_info("gen: %zu x %zu %s data (seed %zu) in %.2fs, written to %s%s in %.2fs", d->rows,
             d->cols, task, seed, t_gen, out, shards ? " (shards)" : "", tr_now() - t0 - t_gen);
  ds_free(&d);
  return rc;
}
