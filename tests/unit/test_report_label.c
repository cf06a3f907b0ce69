/* Tests for experiments/report_label.c on hand-made sweeps (report_fixture.h): each run's
 * label says what differs between the runs (variant, settings shortened, backend, rank
 * count, spot, the instance of a projection), labels are unique (ids only where runs are
 * alike in every way), and placed labels never overlap: not even two labels of points at
 * the same coordinates, in the placement itself and in the metric-vs-cost figure. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/report_internal.h"
#include "report_fixture.h"
#include "testutil.h"

#define MLP "\"model.type\": \"mlp\", "
#define LOGISTIC "\"model.type\": \"logistic\", "

/* Two variants, a learning rate grid, one run on S3, 1 and 2 ranks, a spot run, a
 * projection and a repeated run (p7 is p1 again). */
static const rf_train_run sweep[] = {
    {"p1", "mlp", "measured", "local", "c5.4xlarge", MLP "\"optimizer.lr\": \"0.01\"", 1, 0.95, 1.0, 60, 50, 6, 4, 90,
     false, NULL},
    {"p2", "mlp", "measured", "local", "c5.4xlarge", MLP "\"optimizer.lr\": \"0.1\"", 1, 0.93, 0.9, 60, 50, 6, 4, 90,
     false, NULL},
    {"p3", "mlp", "measured", "local", "c5.4xlarge", MLP "\"optimizer.lr\": \"0.01\"", 2, 0.95, 1.2, 40, 30, 6, 4, 90,
     false, NULL},
    {"p4", "logistic", "measured", "s3", "c5.4xlarge",
     LOGISTIC "\"optimizer.lr\": \"0.01\", \"storage.backend\": \"s3\"", 1, 0.90, 0.3, 30, 20, 6, 4, 90, false, NULL},
    {"p5", "logistic", "measured", "local", "c5.4xlarge", LOGISTIC "\"optimizer.lr\": \"0.01\"", 1, 0.90, 0.2, 20, 10,
     6, 4, 90, false, NULL},
    {"p3@c5.xlarge", "mlp", "projected", "local", "c5.xlarge", MLP "\"optimizer.lr\": \"0.01\"", 1, 0.95, 0.5, 70, 60,
     6, 4, 90, false, NULL},
    {"p7", "mlp", "measured", "local", "c5.4xlarge", MLP "\"optimizer.lr\": \"0.01\"", 1, 0.95, 1.0, 60, 50, 6, 4, 90,
     false, NULL},
    {"p8", "mlp", "measured", "local", "c5.4xlarge", MLP "\"optimizer.lr\": \"0.1\", \"cost.spot\": \"true\"", 1, 0.93,
     0.4, 60, 50, 6, 4, 90, true, NULL},
};
#define N_SWEEP (sizeof sweep / sizeof *sweep)

START_TEST(labels_say_what_differs) {
  rf_write_sweep(tu_dir, sweep, N_SWEEP);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  static const char *const want[N_SWEEP] = {
      "mlp, lr 0.01, local, 1 rank (p1)", "mlp, lr 0.1, local, 1 rank",      "mlp, lr 0.01, local, 2 ranks",
      "logistic, lr 0.01, s3, 1 rank",    "logistic, lr 0.01, local, 1 rank", "mlp, lr 0.01, local @c5.xlarge",
      "mlp, lr 0.01, local, 1 rank (p7)", "mlp, lr 0.1, local, 1 rank, spot",
  };
  ck_assert_uint_eq(rep.rs.n, N_SWEEP);
  for (size_t i = 0; i < N_SWEEP; i++) {
    ck_assert_str_eq(rep.labels[i], want[i]);
    for (size_t j = 0; j < i; j++) ck_assert_str_ne(rep.labels[i], rep.labels[j]);
  }
  /* without the rank count: what the scaling figures follow across rank counts */
  ck_assert_str_eq(rep.config_labels[0], "mlp, lr 0.01, local");
  ck_assert_str_eq(rep.config_labels[2], "mlp, lr 0.01, local");
  ck_assert_str_eq(rep.config_labels[7], "mlp, lr 0.1, local, spot");
  /* the learning curves and the figure's labels use them, not the ids */
  ck_assert(rf_has(rep.fig[REPORT_METRIC_COST].data, "\"logistic, lr 0.01, s3, 1 rank\""));
  ck_assert(rf_has(rep.fig[REPORT_COST_RANKS].body, "title 'mlp, lr 0.01, local'"));
  report_free(&rep);
}
END_TEST

/* Switches, settings the resolved job fills in, and a sweep where nothing differs. */
START_TEST(labels_shorten_settings) {
  static const rf_train_run runs[] = {
      {"e1", "", "measured", "local", "c5.4xlarge", "\"early_stopping.enabled\": \"true\"", 1, 0.9, 1, 6, 5, 6, 4, 90,
       false, NULL},
      {"e2", "", "measured", "local", "c5.4xlarge", "\"early_stopping.enabled\": false, \"optimizer.lr\": 0.5", 1, 0.9,
       2, 6, 5, 6, 4, 90, false, NULL},
      /* the base job's learning rate, from provenance.job */
      {"e3", "", "measured", "local", "c5.4xlarge", "\"early_stopping.enabled\": \"true\"", 1, 0.9, 3, 6, 5, 6, 4, 90,
       false, "\"provenance\": {\"job\": {\"optimizer\": {\"lr\": \"0.001\"}}}"},
  };
  rf_write_sweep(tu_dir, runs, 3);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.labels[0], "early stopping on");
  ck_assert_str_eq(rep.labels[1], "early stopping off, lr 0.5");
  ck_assert_str_eq(rep.labels[2], "early stopping on, lr 0.001");
  report_free(&rep);

  /* one variant on 1 and 2 ranks, projected: the projection names the variant */
  const rf_train_run scaling[] = {sweep[0], sweep[2], sweep[5]};
  rf_write_sweep(tu_dir, scaling, 3);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.labels[0], "1 rank");
  ck_assert_str_eq(rep.labels[1], "2 ranks");
  ck_assert_str_eq(rep.labels[2], "mlp @c5.xlarge");
  ck_assert_str_eq(rep.config_labels[1], "mlp");
  report_free(&rep);

  /* one run, or runs alike: the variant, with ids where it repeats */
  rf_write_sweep(tu_dir, sweep, 1);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.labels[0], "mlp");
  report_free(&rep);
  const rf_train_run twice[] = {sweep[0], sweep[6]};
  rf_write_sweep(tu_dir, twice, 2);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.labels[0], "mlp (p1)");
  ck_assert_str_eq(rep.labels[1], "mlp (p7)");
  report_free(&rep);
}
END_TEST

static bool boxes_overlap(const report_label_box *a, const report_label_box *b) {
  double ax0 = a->left_of ? a->lx - a->w : a->lx, bx0 = b->left_of ? b->lx - b->w : b->lx;
  return ax0 < bx0 + b->w && bx0 < ax0 + a->w && a->ly - a->h / 2 < b->ly + b->h / 2 &&
         b->ly - b->h / 2 < a->ly + a->h / 2;
}

/* Labels of points at the same coordinates (and a crowd of them) get distinct places,
 * none overlapping another, all inside the plot, the first beside its point; where there
 * is no room left, a label is left out. */
START_TEST(placement_never_overprints) {
  report_label_box b[12];
  double mk[2 * 12];
  for (size_t i = 0; i < 12; i++) {
    b[i] = (report_label_box){.x = 200, .y = 150, .w = 90, .h = 12};
    mk[2 * i] = 200, mk[2 * i + 1] = 150;
  }
  for (size_t n = 2; n <= 12; n += 10) {
    ck_assert_int_eq(report_place_labels(b, n, mk, n, 600, 400), TR_OK);
    for (size_t i = 0; i < n; i++) ck_assert(b[i].placed);
    ck_assert(!b[0].leader && !b[0].left_of);
    ck_assert(fabs(b[0].lx - 200) < 12 && fabs(b[0].ly - 150) < 12);
    for (size_t i = 0; i < n; i++) {
      double x0 = b[i].left_of ? b[i].lx - b[i].w : b[i].lx;
      ck_assert(x0 >= 0 && x0 + b[i].w <= 600 && b[i].ly - 6 >= 0 && b[i].ly + 6 <= 400);
      /* clear of the marker */
      ck_assert(x0 > 200 || x0 + b[i].w < 200 || fabs(b[i].ly - 150) > 6);
      for (size_t j = 0; j < i; j++) ck_assert_msg(!boxes_overlap(&b[i], &b[j]), "labels %zu and %zu overlap", i, j);
    }
  }
  /* a crowd with no room for all: the ones left over are left out, never overprinted */
  report_label_box crowd[60];
  double cm[2 * 60];
  for (size_t i = 0; i < 60; i++) {
    crowd[i] = (report_label_box){.x = 200, .y = 150, .w = 90, .h = 12};
    cm[2 * i] = 200, cm[2 * i + 1] = 150;
  }
  ck_assert_int_eq(report_place_labels(crowd, 60, cm, 60, 600, 400), TR_OK);
  size_t drawn = 0;
  for (size_t i = 0; i < 60; i++) {
    if (!crowd[i].placed) continue;
    drawn++;
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(!crowd[j].placed || !boxes_overlap(&crowd[i], &crowd[j]), "labels %zu and %zu overlap", i, j);
  }
  ck_assert(drawn >= 12 && drawn < 60);

  /* by a plot's right edge the label goes left of its point */
  b[0] = (report_label_box){.x = 590, .y = 150, .w = 90, .h = 12};
  ck_assert_int_eq(report_place_labels(b, 1, mk, 1, 600, 400), TR_OK);
  ck_assert(b[0].left_of && b[0].lx < 590);
}
END_TEST

/* The row of a label datablock holding text: its x and y, and which block ($label_...). */
static void label_at(const char *data, const char *text, double *x, double *y, const char **block) {
  char *quoted = NULL;
  ck_assert_int_ge(asprintf(&quoted, " \"%s\"\n", text), 0);
  const char *at = strstr(strstr(data, "$label_"), quoted);
  ck_assert_msg(at != NULL, "no label %s in %s", text, data);
  while (at > data && at[-1] != '\n') at--;
  ck_assert_int_eq(sscanf(at, "%lf %lf", x, y), 2);
  for (const char *b = data; (b = strstr(b, "$label_")) && b < at; b++) *block = b;
  free(quoted);
}

/* p1 and p7 cost and score the same: their labels stand apart in the figure. */
START_TEST(same_point_distinct_labels_in_figure) {
  rf_write_sweep(tu_dir, sweep, N_SWEEP);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  const report_figure *mc = &rep.fig[REPORT_METRIC_COST];
  double x1, y1, x7, y7;
  const char *b1 = NULL, *b7 = NULL;
  label_at(mc->data, rep.labels[0], &x1, &y1, &b1);
  label_at(mc->data, rep.labels[6], &x7, &y7, &b7);
  /* in one block (one side of the point): rows at least a label's height (12 of the
   * plot's 448 pixels; auc 0.90..0.95 drawn over 0.896..0.955) apart */
  if (b1 == b7) ck_assert_msg(fabs(y1 - y7) / 0.059 * 448 >= 12 - 1e-6, "p1, p7 labelled at %g, %g", y1, y7);
  ck_assert(x1 != x7 || y1 != y7);
  ck_assert(rf_has(mc->body, "with labels left font ',8'"));
  ck_assert(rf_has(mc->body, "set yrange [0.896:0.955]"));
  ck_assert(rf_has(mc->body, "set lmargin at screen 0.08"));
  report_free(&rep);
}
END_TEST

int main(void) {
  Suite *s = suite_create("report_label");
  TCase *tc = tcase_create("report_label");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, labels_say_what_differs);
  tcase_add_test(tc, labels_shorten_settings);
  tcase_add_test(tc, placement_never_overprints);
  tcase_add_test(tc, same_point_distinct_labels_in_figure);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
