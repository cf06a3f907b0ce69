/* Tests for experiments/sweep.c: a sweep file's variants and grid expand into numbered
 * points in a fixed order, and every malformed file is an error at its line. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/sweep.h"
#include "testutil.h"

#define CATALOG TEST_DATA_DIR "/../../configs/pricing.ini"

static char *job_path;

static void setup(void) {
  tu_setup();
  job_path = tu_path(tu_dir, "job.ini");
  tu_write(job_path, "[data]\ntrain = x.h5\n[cost]\npricing = " CATALOG "\n");
}

static void teardown(void) {
  free(job_path);
  tu_teardown();
}

static char *sweep_file(const char *body) {
  char *p = tu_path(tu_dir, "s.ini"), *text = NULL;
  ck_assert_int_ge(asprintf(&text, "[sweep]\njob = %s\n%s", job_path, body), 0);
  tu_write(p, text);
  free(text);
  return p;
}

START_TEST(points_in_order) {
  char *p = sweep_file("metric = auc\n[variant.a]\nmodel.type = logistic\n[variant.b]\nmodel.type = mlp\n"
                       "optimizer.lr = 0.01\n[grid]\nstorage.backend = local, s3, fsx\nranks = 1, 2\n"
                       "[project]\ninstances = c5.xlarge, m5.xlarge\n");
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message());
  ck_assert_str_eq(s->kind, "train");
  ck_assert_str_eq(s->clock, "real");
  ck_assert_str_eq(s->metric, "auc");
  ck_assert_str_eq(s->pricing, CATALOG);
  ck_assert_uint_eq(s->n_project, 2);
  ck_assert_uint_eq(sweep_count(s), 2 * 3 * 2);
  sweep_point pt;
  ck_assert_int_eq(sweep_point_at(s, 0, &pt), TR_OK);
  ck_assert_str_eq(pt.id, "p0001");
  ck_assert_str_eq(pt.variant, "a");
  ck_assert_uint_eq(pt.n_sets, 2);
  ck_assert_str_eq(pt.sets[0], "model.type=logistic");
  ck_assert_str_eq(pt.sets[1], "storage.backend=local");
  ck_assert_int_eq(pt.ranks, 1);
  sweep_point_free(&pt);
  /* the last grid key varies fastest, the variant slowest */
  ck_assert_int_eq(sweep_point_at(s, 1, &pt), TR_OK);
  ck_assert_int_eq(pt.ranks, 2);
  ck_assert_str_eq(pt.sets[1], "storage.backend=local");
  sweep_point_free(&pt);
  ck_assert_int_eq(sweep_point_at(s, 11, &pt), TR_OK);
  ck_assert_str_eq(pt.id, "p0012");
  ck_assert_str_eq(pt.variant, "b");
  ck_assert_uint_eq(pt.n_sets, 3);
  ck_assert_str_eq(pt.sets[1], "optimizer.lr=0.01");
  ck_assert_str_eq(pt.sets[2], "storage.backend=fsx");
  ck_assert_int_eq(pt.ranks, 2);
  sweep_point_free(&pt);
  sweep_free(&s);
  ck_assert_ptr_null(s);
  free(p);
}
END_TEST

START_TEST(no_grid_no_variants) {
  char *p = sweep_file("kind = io-bench\nclock = virtual\n");
  sweep_spec *s = NULL;
  ck_assert_int_eq(sweep_load(p, &s), TR_OK);
  ck_assert_uint_eq(sweep_count(s), 1);
  sweep_point pt;
  ck_assert_int_eq(sweep_point_at(s, 0, &pt), TR_OK);
  ck_assert_str_eq(pt.variant, "");
  ck_assert_uint_eq(pt.n_sets, 0);
  sweep_point_free(&pt);
  sweep_free(&s);
  free(p);
}
END_TEST

START_TEST(malformed_files) {
  static const char *const cases[][2] = {
      {"[grid]\nmodel.type = logistic, forest\n", "s.ini:4: model.type: expected one of"},
      {"[grid]\nranks = 1, 0\n", "s.ini:4: ranks: expected an integer"},
      {"[grid]\nstorage.backend =\n", "s.ini:4:"},
      {"[grid]\nmodel.colour = red\n", "s.ini:4: model.colour: unknown key"},
      {"[grid]\nranks = 1\nranks = 2\n", "s.ini:5: grid.ranks is set twice (first at "},
      {"[variant.x]\noptimizer.lr = -1\n", "s.ini:4: optimizer.lr: must be in"},
      {"kind = deploy\n", "s.ini:3: sweep.kind: unexpected 'deploy'"},
      {"colour = red\n", "s.ini:3: unknown key 'colour' in [sweep]"},
      {"[matrix]\na = 1\n", "s.ini:4: unknown section [matrix]"},
      {"[project]\nmachines = c5.xlarge\n", "s.ini:4: unknown key 'machines' in [project]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = sweep_file(cases[i][0]);
    sweep_spec *s = NULL;
    tr_error_clear();
    ck_assert_int_eq(sweep_load(p, &s), TR_ECONFIG);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(tr_error_message(), cases[i][1]) != NULL, "case %zu: %s", i, tr_error_message());
    free(p);
  }
  /* no job, a missing job, an invalid job, a missing sweep file */
  char *p = tu_path(tu_dir, "s.ini");
  sweep_spec *s = NULL;
  tu_write(p, "[grid]\nranks = 1\n");
  tr_error_clear();
  ck_assert_int_eq(sweep_load(p, &s), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "needs job = JOB.ini"));
  tu_write(p, "[sweep]\njob = /no/such/job.ini\n");
  tr_error_clear();
  ck_assert_int_eq(sweep_load(p, &s), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "sweep.job: no such file"));
  tu_write(job_path, "[model]\ntype = forest\n");
  tu_write(p, "[sweep]\njob = ");
  char *text = NULL;
  ck_assert_int_ge(asprintf(&text, "[sweep]\njob = %s\n", job_path), 0);
  tu_write(p, text);
  free(text);
  tr_error_clear();
  ck_assert_int_eq(sweep_load(p, &s), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "job.ini:2: model.type"));
  tr_error_clear();
  ck_assert_int_eq(sweep_load("/no/sweep.ini", &s), TR_ECONFIG);
  tr_error_clear();
  free(p);
}
END_TEST

/* Loads body as a sweep file and asserts it is refused with a message holding want. */
static void assert_refused(const char *body, const char *want) {
  char *p = sweep_file(body);
  sweep_spec *s = NULL;
  tr_error_clear();
  ck_assert_msg(sweep_load(p, &s) == TR_ECONFIG, "accepted: %s", body);
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(tr_error_message(), want) != NULL, "%s (want %s)", tr_error_message(), want);
  tr_error_clear();
  free(p);
}

/* A [grid] of n_axes job keys with `values` values each ("1, 2, ..."). */
static char *grid_of(size_t n_axes, int values) {
  static const char *const keys[] = {
      "optimizer.batch_size", "optimizer.epochs", "optimizer.threads", "optimizer.lr_step_epochs",
      "optimizer.lr_patience", "early_stopping.patience", "early_stopping.start_from_epoch",
      "data.seed", "storage.read_threads", "storage.prefetch", "storage.transfer_kib",
      "workload.batch_size", "workload.epochs", "workload.files", "workload.samples_per_file",
      "workload.ranks", "workload.ranks_per_node", "checkpoint.every_epochs", "cost.nodes",
      "s3.connections", "optimizer.l1", "optimizer.l2"};
  ck_assert_uint_le(n_axes, sizeof keys / sizeof *keys);
  size_t cap = 64 + n_axes * 128, len = 0;
  char *text = malloc(cap);
  len += (size_t)snprintf(text + len, cap - len, "[grid]\n");
  for (size_t a = 0; a < n_axes; a++) {
    len += (size_t)snprintf(text + len, cap - len, "%s = 1", keys[a]);
    for (int v = 2; v <= values; v++) len += (size_t)snprintf(text + len, cap - len, ", %d", v);
    len += (size_t)snprintf(text + len, cap - len, "\n");
  }
  return text;
}

/* Issue "counts that overflow": 2^66 points wrapped to 0 and the sweep "succeeded";
 * 2^42 points made --emit-slurm walk them all. Both are refused at the key that makes
 * the sweep pass SWEEP_MAX_POINTS; the limit itself is accepted. */
START_TEST(absurd_grids) {
  char *g = grid_of(16, 16); /* 2^64 points: wraps to exactly 0 */
  char *text = NULL;
  ck_assert_int_ge(asprintf(&text, "[variant.a]\nmodel.type = mlp\n[variant.b]\nmodel.type = logistic\n"
                                   "[variant.c]\nmodel.type = softmax\n[variant.d]\nmodel.type = linear\n%s",
                            g), 0);
  /* the [sweep] lines are 1-2, the variants 3-10, [grid] 11, its 4th key (4 x 16^4 points) 15 */
  assert_refused(text, "s.ini:15: the sweep has 2.621e+05 points (variants x the grid's values), more than 100000");
  free(text);
  free(g);
  g = grid_of(14, 8); /* 8^14 = 2^42 */
  assert_refused(g, "s.ini:9: the sweep has 2.621e+05 points");
  free(g);
  g = grid_of(5, 10); /* 10^5: the limit */
  char *p = sweep_file(g);
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message());
  ck_assert_uint_eq(sweep_count(s), SWEEP_MAX_POINTS);
  sweep_free(&s);
  free(p);
  free(g);
  /* variants count too: 2 variants x the limit */
  g = grid_of(5, 10);
  ck_assert_int_ge(asprintf(&text, "%s[variant.a]\nmodel.type = mlp\n[variant.b]\nmodel.type = logistic\n", g), 0);
  assert_refused(text, "s.ini:12: the sweep has 2e+05 points");
  free(text);
  free(g);
}
END_TEST

/* A spec built by hand (not through sweep_load) saturates instead of wrapping. */
START_TEST(count_saturates) {
  sweep_axis axes[33];
  char *values[4] = {"1", "2", "3", "4"};
  for (size_t a = 0; a < 33; a++) axes[a] = (sweep_axis){.key = "optimizer.epochs", .values = values, .n_values = 4};
  sweep_spec s = {.axes = axes, .n_axes = 33}; /* 4^33 = 2^66 */
  ck_assert_uint_eq(sweep_count(&s), SIZE_MAX);
}
END_TEST

/* Issue "validation after work": [project] instances were checked only when the results
 * were merged, after the points had run, and the error named no line; the metric was
 * never checked. */
START_TEST(checked_before_running) {
  assert_refused("[project]\ninstances = c5.xlarge, c5.huge\n",
                 "s.ini:4: [project] instances: unknown instance type 'c5.huge' (no [instance.c5.huge] in ");
  assert_refused("[project]\ninstances = c5.xlarge, c5.xlarge\n", "s.ini:4: [project] instances: 'c5.xlarge' is listed twice");
  assert_refused("[project]\ninstances = c5.xlarge, ,m5.xlarge\n", "s.ini:4: [project] instances: an empty name");
  assert_refused("[project]\ninstances =\n", "s.ini:4: [project] instances: no values");
  assert_refused("metric = acuracy\n", "s.ini:3: sweep.metric: unknown metric 'acuracy' (accuracy, precision,");
  /* the catalog is the base job's */
  tu_write(job_path, "[data]\ntrain = x.h5\n[cost]\npricing = /no/such/pricing.ini\n");
  assert_refused("[project]\ninstances = c5.xlarge\n", "/no/such/pricing.ini: cannot open pricing catalog");
  char *p = sweep_file("metric = au_percent\n");
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message()); /* no [project]: no catalog read */
  ck_assert_str_eq(s->metric, "au_percent");
  sweep_free(&s);
  free(p);
}
END_TEST

/* Issue "duplicate keys": a key given twice in [sweep], in one [variant.X] (even when
 * the section is opened again) or in [project] took the last value or both; now it is
 * refused at the second line, naming the first. */
START_TEST(duplicate_keys) {
  assert_refused("kind = train\nkind = io-bench\n", "s.ini:4: sweep.kind is set twice (first at ");
  assert_refused("[variant.a]\nmodel.type = mlp\noptimizer.lr = 0.1\nmodel.type = logistic\n",
                 "s.ini:6: variant.a.model.type is set twice (first at ");
  assert_refused("[variant.a]\nmodel.type = mlp\n[variant.b]\nmodel.type = mlp\n[variant.a]\nmodel.type = logistic\n",
                 "s.ini:8: variant.a.model.type is set twice (first at ");
  assert_refused("[project]\ninstances = c5.xlarge\ninstances = m5.xlarge\n", "s.ini:5: project.instances is set twice");
  char *p = sweep_file("[variant.a]\nmodel.type = mlp\n[variant.b]\nmodel.type = mlp\n[variant.a]\noptimizer.lr = 0.1\n");
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message()); /* a reopened variant: other keys */
  ck_assert_uint_eq(s->n_variants, 2);
  ck_assert_uint_eq(s->variants[0].n_sets, 2);
  sweep_free(&s);
  free(p);
}
END_TEST

/* Issue "section names truncated": inih keeps 49 bytes of a section name, so two
 * variants with long names sharing a prefix became one variant (one point, not two). */
START_TEST(long_variant_names) {
  char name_a[64], name_b[64], *text = NULL;
  memset(name_a, 'v', 44);
  memcpy(name_b, name_a, 44);
  strcpy(name_a + 44, "_one");
  strcpy(name_b + 44, "_two"); /* "variant." + 48 characters: 56 */
  ck_assert_int_ge(asprintf(&text, "[variant.%s]\nmodel.type = mlp\n[variant.%s]\nmodel.type = logistic\n",
                            name_a, name_b), 0);
  assert_refused(text, "s.ini:3: section name longer than 48 characters");
  free(text);
  name_a[40] = '\0'; /* "variant." + 40: within the limit */
  ck_assert_int_ge(asprintf(&text, "[variant.%s]\nmodel.type = mlp\n", name_a), 0);
  char *p = sweep_file(text);
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message());
  ck_assert_str_eq(s->variants[0].name, name_a);
  sweep_free(&s);
  free(p);
  free(text);
}
END_TEST

/* Issue "long lines split silently": inih cut a line at its buffer and read the rest as a
 * line of its own, so a key after a long comment took effect. */
START_TEST(long_lines) {
  char text[400] = "; ";
  memset(text + 2, '-', 220);
  strcpy(text + 222, "kind = io-bench\n");
  assert_refused(text, "s.ini:3: line longer than");
}
END_TEST

/* Issue 15: every malformed [space] entry and search key is refused at its line. */
START_TEST(malformed_searches) {
  static const char *const cases[][2] = {
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = gaussian(0, 1)\n", "s.ini:6: [space] optimizer.lr: unknown distribution 'gaussian'"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = uniform(0.1)\n", "s.ini:6: [space] optimizer.lr: uniform(a, b): expected two numbers"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = uniform(0.1, x)\n", "s.ini:6: [space] optimizer.lr: uniform(a, b): a and b must be finite"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = uniform(0.5, 0.1)\n", "s.ini:6: [space] optimizer.lr: uniform(a, b): needs a < b"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = loguniform(0, 1)\n", "s.ini:6: [space] optimizer.lr: loguniform(a, b): needs 0 < a"},
      {"search = random\ntrials = 3\n[space]\nmodel.hidden = int(1.5, 8)\n", "s.ini:6: [space] model.hidden: int(a, b): a and b must be integers"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = uniform(0.1, 0.2\n", "s.ini:6: [space] optimizer.lr: uniform(a, b): expected a closing ')'"},
      {"search = random\ntrials = 3\n[space]\noptimizer.lr = uniform(-1, 0.2)\n", "s.ini:6: optimizer.lr: must be in"},
      {"search = random\ntrials = 3\n[space]\nmodel.type = logistic, forest\n", "s.ini:6: model.type: expected one of"},
      {"search = random\ntrials = 3\n[space]\nmodel.colour = 1, 2\n", "s.ini:6: model.colour: unknown key"},
      {"search = random\ntrials = 3\n[space]\nranks = 1, 2\n", "s.ini:6: [space] ranks"},
      {"search = random\n", "s.ini:3: search = random needs a [space]"},
      {"search = random\n[space]\noptimizer.lr = 0.1, 0.2\n", "s.ini:5: [space] needs trials = N"},
      {"[space]\noptimizer.lr = 0.1, 0.2\n", "s.ini:4: [space] needs search = random"},
      {"search = halving\ntrials = 3\n[grid]\noptimizer.lr = 0.1\n[space]\noptimizer.l2 = 0, 1\n", "s.ini:8: [space] and [grid] together"},
      {"search = bayes\n", "s.ini:3: sweep.search: unexpected 'bayes'"},
      {"search = halving\n", "s.ini:3: the search decides on a validation metric"},
      {"prune = median\n", "s.ini:3: prune = median decides on a validation metric"},
      {"prune = mean\n", "s.ini:3: sweep.prune: unexpected 'mean'"},
      {"metric = precision\nsearch = halving\n", "s.ini:3: sweep.metric: history.csv has no val_precision"},
      {"metric = auc\nsearch = halving\neta = 1\n", "s.ini:5: sweep.eta: expected an integer in [2, 100]"},
      {"metric = auc\nsearch = halving\nmin_epochs = 9\nmax_epochs = 3\n", "s.ini:5: sweep.min_epochs = 9 is more than"},
      {"metric = auc\nsearch = halving\nmax_epochs = 9\n[grid]\noptimizer.epochs = 3, 9\n", "s.ini:7: optimizer.epochs: the search's max_epochs sets it"},
      {"budget_usd = -1\n", "s.ini:3: sweep.budget_usd: expected dollars >= 0"},
      {"parallel = 0\n", "s.ini:3: sweep.parallel: expected an integer in [1, 256]"},
      {"kind = io-bench\nparallel = 2\n", "s.ini:4: a search, prune, budget_usd and parallel need kind = train"},
      {"trials = 4\n", "s.ini:3: sweep.trials: only with a [space]"},
      {"runner = threads\n", "s.ini:3: sweep.runner: unexpected 'threads' (worker, process)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = sweep_file(cases[i][0]);
    sweep_spec *s = NULL;
    tr_error_clear();
    ck_assert_int_eq(sweep_load(p, &s), TR_ECONFIG);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(tr_error_message(), cases[i][1]) != NULL, "case %zu: %s", i, tr_error_message());
    free(p);
  }
}
END_TEST

/* Random trials: each key drawn within its distribution, the same for a seed (and trial
 * i the same whatever trials is), other draws for another seed; max_epochs set last. */
START_TEST(random_trials) {
  const char *body = "metric = auc\nsearch = random\ntrials = %d\nseed = %d\nmax_epochs = 7\n[space]\n"
                     "optimizer.lr = loguniform(1e-4, 1e-1)\noptimizer.l2 = uniform(0, 0.5)\n"
                     "model.hidden = int(4, 6)\noptimizer.name = sgd, adam\n";
  char text[512];
  snprintf(text, sizeof text, body, 40, 3);
  char *p = sweep_file(text);
  sweep_spec *s = NULL, *again = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message());
  ck_assert_uint_eq(sweep_count(s), 40);
  ck_assert(sweep_is_search(s));
  ck_assert_str_eq(s->rung_column, "val_auc");
  ck_assert_int_eq(s->sp.max_epochs, 7);
  bool seen[3] = {false}, names[2] = {false};
  for (size_t i = 0; i < 40; i++) {
    sweep_point pt;
    ck_assert_int_eq(sweep_point_at(s, i, &pt), TR_OK);
    ck_assert_uint_eq(pt.n_sets, 5);
    double lr = atof(strchr(pt.sets[0], '=') + 1), l2 = atof(strchr(pt.sets[1], '=') + 1);
    int h = atoi(strchr(pt.sets[2], '=') + 1);
    ck_assert(lr >= 1e-4 && lr <= 1e-1);
    ck_assert(l2 >= 0 && l2 <= 0.5);
    ck_assert(h >= 4 && h <= 6);
    seen[h - 4] = true;
    names[!strcmp(pt.sets[3], "optimizer.name=adam")] = true;
    ck_assert_str_eq(pt.sets[4], "optimizer.epochs=7");
    sweep_point_free(&pt);
  }
  ck_assert(seen[0] && seen[1] && seen[2] && names[0] && names[1]);
  /* fewer trials, same seed: the same first trials; another seed: others */
  snprintf(text, sizeof text, body, 5, 3);
  free(p);
  p = sweep_file(text);
  ck_assert_int_eq(sweep_load(p, &again), TR_OK);
  sweep_point a, b;
  ck_assert_int_eq(sweep_point_at(s, 4, &a), TR_OK);
  ck_assert_int_eq(sweep_point_at(again, 4, &b), TR_OK);
  for (size_t k = 0; k < a.n_sets; k++) ck_assert_str_eq(a.sets[k], b.sets[k]);
  sweep_point_free(&b);
  sweep_free(&again);
  snprintf(text, sizeof text, body, 5, 4);
  free(p);
  p = sweep_file(text);
  ck_assert_int_eq(sweep_load(p, &again), TR_OK);
  ck_assert_int_eq(sweep_point_at(again, 4, &b), TR_OK);
  ck_assert_str_ne(a.sets[0], b.sets[0]);
  sweep_point_free(&a);
  sweep_point_free(&b);
  sweep_free(&again);
  sweep_free(&s);
  free(p);
}
END_TEST

/* A grid run as a search keeps its points and order; defaults; max_epochs from the job. */
START_TEST(grid_search_defaults) {
  char *p = sweep_file("metric = log_loss\nsearch = hyperband\n[grid]\noptimizer.lr = 0.1, 0.01\n");
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(p, &s) == TR_OK, "%s", tr_error_message());
  ck_assert_uint_eq(sweep_count(s), 2);
  ck_assert_int_eq(s->sp.kind, SEARCH_HYPERBAND);
  ck_assert_int_eq(s->sp.eta, 3);
  ck_assert_int_eq(s->sp.min_epochs, 1);
  ck_assert_int_eq(s->sp.max_epochs, 100); /* the job's optimizer.epochs default */
  ck_assert(s->sp.minimize);
  ck_assert_str_eq(s->rung_column, "val_loss");
  sweep_point pt;
  ck_assert_int_eq(sweep_point_at(s, 1, &pt), TR_OK);
  ck_assert_uint_eq(pt.n_sets, 1); /* no max_epochs given: the job's epochs, not set */
  ck_assert_str_eq(pt.sets[0], "optimizer.lr=0.01");
  sweep_point_free(&pt);
  sweep_free(&s);
  /* a plain grid is not a search */
  free(p);
  p = sweep_file("[grid]\noptimizer.lr = 0.1, 0.01\n");
  ck_assert_int_eq(sweep_load(p, &s), TR_OK);
  ck_assert(!sweep_is_search(s));
  sweep_free(&s);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sweep");
  TCase *tc = tcase_create("sweep");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, points_in_order);
  tcase_add_test(tc, no_grid_no_variants);
  tcase_add_test(tc, malformed_files);
  tcase_add_test(tc, absurd_grids);
  tcase_add_test(tc, count_saturates);
  tcase_add_test(tc, checked_before_running);
  tcase_add_test(tc, duplicate_keys);
  tcase_add_test(tc, long_variant_names);
  tcase_add_test(tc, long_lines);
  tcase_add_test(tc, malformed_searches);
  tcase_add_test(tc, random_trials);
  tcase_add_test(tc, grid_search_defaults);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
