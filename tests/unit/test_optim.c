/* Tests for trainer/optim.c: every optimizer minimizes a known quadratic; L2, decoupled
 * weight decay and L1 behave as defined; schedules follow their formulas. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trainer/optim.h"

/* f(p) = 0.5 * sum a_i (p_i - c_i)^2 with an ill-conditioned a. */
static const float a[4] = {1, 3, 10, 0.5f}, c[4] = {1, -2, 0.5f, 3};

static void grad(const float *p, float *g) {
  for (int i = 0; i < 4; i++) g[i] = a[i] * (p[i] - c[i]);
}

START_TEST(each_optimizer_converges) {
  const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
  double lrs[] = {0.05, 0.02, 0.02, 0.05, 0.05};
  unsigned char decay[4] = {1, 1, 1, 1};
  for (int k = 0; k < 5; k++) {
    int kind = opt_kind_from_name(names[k]);
    ck_assert_int_ge(kind, 0);
    opt_state *o = opt_new((opt_kind)kind, 4, 0, 0);
    float p[4] = {0}, g[4];
    for (int it = 0; it < 3000; it++) {
      grad(p, g);
      opt_step(o, p, g, decay, lrs[k]);
    }
    for (int i = 0; i < 4; i++)
      ck_assert_msg(fabsf(p[i] - c[i]) < 1e-2f, "%s: p[%d] = %g, want %g", names[k], i, p[i], c[i]);
    ck_assert_int_eq(o->step, 3000);
    opt_free(&o);
  }
  ck_assert_int_eq(opt_kind_from_name("lbfgs"), OPT_LBFGS);
  ck_assert_int_eq(opt_kind_from_name("rmsprop"), -1);
}
END_TEST

START_TEST(l2_shrinks_only_weights) {
  /* minimizer of 0.5 a (p-c)^2 + 0.5 l2 p^2 is a c / (a + l2) */
  unsigned char decay[4] = {1, 1, 1, 0};
  opt_state *o = opt_new(OPT_SGD, 4, 0, 1.0);
  float p[4] = {0}, g[4];
  for (int it = 0; it < 5000; it++) {
    grad(p, g);
    opt_step(o, p, g, decay, 0.05);
  }
  for (int i = 0; i < 3; i++) ck_assert_float_eq_tol(p[i], a[i] * c[i] / (a[i] + 1), 1e-3f);
  ck_assert_float_eq_tol(p[3], c[3], 1e-3f); /* a bias: not penalized */
  opt_free(&o);
}
END_TEST

START_TEST(adamw_decay_is_decoupled) {
  unsigned char decay[1] = {1};
  opt_state *o = opt_new(OPT_ADAMW, 1, 0, 0.1);
  float p[1] = {2.0f}, g[1] = {0.0f};
  opt_step(o, p, g, decay, 0.5);
  ck_assert_float_eq_tol(p[0], 2.0f * (1 - 0.5f * 0.1f), 1e-6f); /* zero gradient: pure decay */
  opt_free(&o);
  o = opt_new(OPT_ADAM, 1, 0, 0.1);
  p[0] = 2.0f;
  opt_step(o, p, g, decay, 0.5);
  ck_assert_float_eq_tol(p[0], 2.0f - 0.5f, 1e-4f); /* coupled: normalized step of lr */
  opt_free(&o);
}
END_TEST

START_TEST(l1_gives_exact_zeros) {
  unsigned char decay[4] = {1, 1, 1, 1};
  opt_state *o = opt_new(OPT_SGD, 4, 2.0, 0);
  float p[4] = {0}, g[4];
  for (int it = 0; it < 2000; it++) {
    grad(p, g);
    opt_step(o, p, g, decay, 0.05);
  }
  /* soft-threshold solution: p = c - sign(c) l1 / a when |a c| > l1, else 0 */
  ck_assert_float_eq(p[0], 0.0f); /* |1 * 1| < 2 */
  ck_assert_float_eq_tol(p[1], -2 + 2.0f / 3, 1e-3f);
  ck_assert_float_eq_tol(p[2], 0.5f - 0.2f, 1e-3f);
  ck_assert_float_eq(p[3], 0.0f); /* |0.5 * 3| < 2 */
  opt_free(&o);
}
END_TEST

/* The sharded update: every optimizer, applied shard by shard (3 uneven shards, with L1
 * and L2 and a decay mask), gives every parameter and moment the bits opt_step gives it,
 * step after step; an empty or reversed range changes nothing but the step count. */
START_TEST(range_steps_match_whole_steps) {
  enum { N = 1037 };
  const size_t cuts[] = {0, 350, 700, N};
  for (int kind = OPT_SGD; kind <= OPT_ADAMW; kind++) {
    opt_state *whole = opt_new((opt_kind)kind, N, 1e-3, 1e-2), *parts = opt_new((opt_kind)kind, N, 1e-3, 1e-2);
    float *pw = malloc(N * sizeof(float)), *pp = malloc(N * sizeof(float)), *g = malloc(N * sizeof(float));
    unsigned char *decay = malloc(N);
    for (size_t i = 0; i < N; i++) {
      pw[i] = pp[i] = sinf((float)i) * 0.5f;
      decay[i] = i % 5 != 0;
    }
    for (int it = 0; it < 20; it++) {
      for (size_t i = 0; i < N; i++) g[i] = cosf((float)(i * 7 + (size_t)it)) * 0.1f + 0.01f * pw[i];
      opt_step(whole, pw, g, decay, 0.01);
      long before = parts->step;
      for (int k = 0; k < 3; k++) {
        parts->step = before; /* each rank counts the step once */
        opt_step_range(parts, pp, g + cuts[k], decay, 0.01, cuts[k], cuts[k + 1]);
      }
      ck_assert_int_eq(parts->step, whole->step);
    }
    ck_assert_msg(!memcmp(pw, pp, N * sizeof(float)), "kind %d: parameters differ", kind);
    if (whole->m) ck_assert_msg(!memcmp(whole->m, parts->m, N * sizeof(float)), "kind %d: m differs", kind);
    if (whole->v) ck_assert_msg(!memcmp(whole->v, parts->v, N * sizeof(float)), "kind %d: v differs", kind);
    memcpy(pw, pp, N * sizeof(float));
    opt_step_range(parts, pp, g, decay, 0.01, 5, 5);
    opt_step_range(parts, pp, g, decay, 0.01, 9, 3);
    ck_assert(!memcmp(pw, pp, N * sizeof(float)));
    ck_assert_int_eq(parts->step, whole->step + 2);
    opt_free(&whole);
    opt_free(&parts);
    free(pw);
    free(pp);
    free(g);
    free(decay);
  }
}
END_TEST

START_TEST(schedules) {
  sched_state s = sched_init(SCHED_STEP, 1.0, 0, 0.5, 2, 10, 0, false);
  ck_assert_double_eq(sched_after_epoch(&s, 1, 0), 1.0);
  ck_assert_double_eq(sched_after_epoch(&s, 2, 0), 0.5);
  ck_assert_double_eq(sched_after_epoch(&s, 4, 0), 0.25);
  s = sched_init(SCHED_COSINE, 1.0, 0.1, 0, 0, 10, 0, false);
  ck_assert_double_eq_tol(sched_after_epoch(&s, 5, 0), 0.55, 1e-12);
  ck_assert_double_eq_tol(sched_after_epoch(&s, 10, 0), 0.1, 1e-12);
  s = sched_init(SCHED_PLATEAU, 1.0, 0.3, 0.5, 0, 10, 1, false);
  sched_after_epoch(&s, 1, 5.0);
  ck_assert_double_eq(sched_after_epoch(&s, 2, 5.0), 1.0);  /* wait 1 <= patience */
  ck_assert_double_eq(sched_after_epoch(&s, 3, 6.0), 0.5);  /* wait 2 > patience: reduce */
  ck_assert_double_eq(sched_after_epoch(&s, 4, 4.0), 0.5);  /* improved */
  sched_after_epoch(&s, 5, 4.0);
  ck_assert_double_eq(sched_after_epoch(&s, 6, 4.0), 0.3); /* 0.25 floored at lr_min */
  s = sched_init(SCHED_CONSTANT, 0.1, 0, 0, 0, 10, 0, false);
  ck_assert_double_eq(sched_after_epoch(&s, 7, 1), 0.1);
  ck_assert_int_eq(sched_kind_from_name("cosine"), SCHED_COSINE);
  ck_assert_int_eq(sched_kind_from_name("linear"), -1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("optim");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, each_optimizer_converges);
  tcase_add_test(tc, l2_shrinks_only_weights);
  tcase_add_test(tc, adamw_decay_is_decoupled);
  tcase_add_test(tc, l1_gives_exact_zeros);
  tcase_add_test(tc, range_steps_match_whole_steps);
  tcase_add_test(tc, schedules);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
