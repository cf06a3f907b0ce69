/* Tests for common/config.c: defaults, parsing, overrides, and every malformed input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "testutil.h"

/* The values of table, as cfg_fill() stores them. */
typedef struct {
  const char *train;
  bool stratify;
  int type;
  cfg_ints hidden;
  double lr, first_byte_ms;
  long epochs;
} vals;

static const cfg_option table[] = {
    {"data", "train", CFG_STR, "", 0, 0, NULL, "training data", CFG_AT(vals, train), NULL},
    {"data", "stratify", CFG_BOOL, "true", 0, 0, NULL, "stratified split", CFG_AT(vals, stratify), NULL},
    {"model", "type", CFG_ENUM, "logistic", 0, 0, "linear|logistic|softmax|mlp", "model", CFG_AT(vals, type), NULL},
    {"model", "hidden", CFG_LIST, "256,128", 1, 1e6, NULL, "hidden widths", CFG_AT(vals, hidden), NULL},
    {"optimizer", "lr", CFG_FLOAT, "0.001", 0, 10, NULL, "learning rate", CFG_AT(vals, lr), NULL},
    {"optimizer", "epochs", CFG_INT, "100", 1, 1e6, NULL, "max epochs", CFG_AT(vals, epochs), NULL},
    {"storage", "s3.first_byte_ms", CFG_FLOAT, "30", 0, 1e4, NULL, "latency", CFG_AT(vals, first_byte_ms), NULL},
};
static const size_t ntable = sizeof table / sizeof table[0];

/* A configuration of table's defaults, as the job loader builds one. */
static cfg *new_cfg(void) {
  cfg_table t = {table, ntable};
  cfg *c = cfg_new_tables(&t, 1);
  ck_assert_ptr_nonnull(c);
  return c;
}

/* c's values, typed. */
static vals values_of(const cfg *c) {
  vals v;
  memset(&v, 0xff, sizeof v);
  cfg_fill(c, table, ntable, &v);
  return v;
}

/* Loads text as a job file; returns the code, message in tr_error_message(). */
static tr_err load_text(cfg *c, const char *text) {
  char *p = tu_path(tu_dir, "job.ini");
  tu_write(p, text);
  tr_err rc = cfg_load_file(c, p);
  free(p);
  return rc;
}

static void assert_error(tr_err rc, const char *needle) {
  ck_assert_int_eq(rc, TR_ECONFIG);
  ck_assert_msg(strstr(tr_error_message(), needle), "message '%s' lacks '%s'",
                tr_error_message(), needle);
}

START_TEST(defaults) {
  cfg *c = new_cfg();
  ck_assert_str_eq(cfg_str(c, "model", "type"), "logistic");
  vals v = values_of(c);
  ck_assert_str_eq(v.train, "");
  ck_assert_int_eq(v.type, 1);
  ck_assert_int_eq(v.epochs, 100);
  ck_assert_double_eq_tol(v.lr, 0.001, 1e-12);
  ck_assert(v.stratify);
  ck_assert_uint_eq(v.hidden.n, 2);
  ck_assert_int_eq(v.hidden.v[1], 128);
  ck_assert(!cfg_is_set(c, "model", "type"));
  cfg_free(&c);
  ck_assert_ptr_null(c);
}
END_TEST

START_TEST(parses_file_with_comments) {
  cfg *c = new_cfg();
  ck_assert_int_eq(load_text(c, "# job\n[data]\ntrain = d.h5 ; inline\nstratify = no\n\n"
                                "[model]\ntype=mlp\nhidden = 64, 32,16\n"
                                "[storage]\ns3.first_byte_ms = 12.5\n"),
                   TR_OK);
  ck_assert_str_eq(cfg_str(c, "data", "train"), "d.h5");
  ck_assert_str_eq(cfg_str(c, "model", "type"), "mlp");
  vals v = values_of(c);
  ck_assert_str_eq(v.train, "d.h5");
  ck_assert(!v.stratify);
  ck_assert_int_eq(v.type, 3);
  ck_assert_uint_eq(v.hidden.n, 3);
  ck_assert_int_eq(v.hidden.v[2], 16);
  ck_assert_double_eq_tol(v.first_byte_ms, 12.5, 1e-12);
  ck_assert(cfg_is_set(c, "data", "train"));
  cfg_free(&c);
}
END_TEST

START_TEST(set_overrides) {
  cfg *c = new_cfg();
  ck_assert_int_eq(cfg_set(c, "optimizer.lr=0.5"), TR_OK);
  ck_assert_int_eq(cfg_set(c, "storage.s3.first_byte_ms=7"), TR_OK);
  vals v = values_of(c);
  ck_assert_double_eq_tol(v.lr, 0.5, 1e-12);
  ck_assert_double_eq_tol(v.first_byte_ms, 7, 1e-12);
  cfg_free(&c);
}
END_TEST

START_TEST(set_errors) {
  cfg *c = new_cfg();
  ck_assert_int_eq(cfg_set(c, "optimizer.lr"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "SECTION.KEY=VALUE"));
  tr_error_clear();
  ck_assert_int_eq(cfg_set(c, "optimizer.lrr=1"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "optimizer.lrr: unknown key"));
  tr_error_clear();
  ck_assert_int_eq(cfg_set(c, "nope.lr=1"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "unknown section"));
  tr_error_clear();
  ck_assert_int_eq(cfg_set(c, "optimizer.epochs=0"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "optimizer.epochs: must be in [1"));
  cfg_free(&c);
}
END_TEST

START_TEST(unknown_section) {
  cfg *c = new_cfg();
  assert_error(load_text(c, "[data]\ntrain = a\n[bogus]\nx = 1\n"), "job.ini:4: unknown section [bogus]");
  cfg_free(&c);
}
END_TEST

START_TEST(unknown_key) {
  cfg *c = new_cfg();
  assert_error(load_text(c, "[optimizer]\nlr = 0.1\nlrr = 0.2\n"), "job.ini:3: unknown key 'lrr' in [optimizer]");
  cfg_free(&c);
}
END_TEST

START_TEST(wrong_types) {
  const char *cases[][2] = {
      {"[optimizer]\nlr = fast\n", "job.ini:2: optimizer.lr: expected a number, got 'fast'"},
      {"[optimizer]\nepochs = 1.5\n", "job.ini:2: optimizer.epochs: expected an integer"},
      {"[data]\nstratify = maybe\n", "job.ini:2: data.stratify: expected true or false"},
      {"[model]\ntype = forest\n", "job.ini:2: model.type: expected one of linear|logistic"},
      {"[model]\nhidden = 64,x\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[model]\nhidden = 64,\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[model]\nhidden = 64, \n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[model]\nhidden = 64,,32\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[model]\nhidden = ,64\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[model]\nhidden = 99999999999999999999,1\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[optimizer]\nlr = nan\n", "job.ini:2: optimizer.lr: expected a number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cfg *c = new_cfg();
    tr_error_clear();
    assert_error(load_text(c, cases[i][0]), cases[i][1]);
    cfg_free(&c);
  }
}
END_TEST

/* A list holds at most CFG_LIST_MAX values: that many are read, one more is refused
 * (not cut to the first CFG_LIST_MAX). */
START_TEST(list_length) {
  char text[400] = "[model]\nhidden = 1";
  for (int i = 1; i < CFG_LIST_MAX; i++) strcat(text, i == CFG_LIST_MAX - 1 ? ",7" : ",1");
  cfg *c = new_cfg();
  ck_assert_int_eq(load_text(c, text), TR_OK);
  vals v = values_of(c);
  ck_assert_uint_eq(v.hidden.n, CFG_LIST_MAX);
  ck_assert_int_eq(v.hidden.v[CFG_LIST_MAX - 1], 7);
  cfg_free(&c);
  strcat(text, ",1\n");
  c = new_cfg();
  tr_error_clear();
  assert_error(load_text(c, text), "job.ini:2: model.hidden: expected comma-separated integers (at most 64)");
  tr_error_clear();
  ck_assert_int_eq(cfg_set(c, "model.hidden=1,2,"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "model.hidden: expected comma-separated integers"));
  tr_error_clear();
  cfg_free(&c);
}
END_TEST

START_TEST(out_of_range) {
  cfg *c = new_cfg();
  assert_error(load_text(c, "[optimizer]\n\nlr = 11\n"), "job.ini:3: optimizer.lr: must be in [0, 10], got 11");
  tr_error_clear();
  cfg_free(&c);
  c = new_cfg();
  assert_error(load_text(c, "[model]\nhidden = 64,0\n"), "job.ini:2: model.hidden: each value must be in [1");
  cfg_free(&c);
}
END_TEST

START_TEST(syntax_and_duplicates) {
  cfg *c = new_cfg();
  assert_error(load_text(c, "[data]\ntrain d.h5\n"), "job.ini:2: syntax error");
  cfg_free(&c);
  tr_error_clear();
  c = new_cfg();
  assert_error(load_text(c, "[data\ntrain = d.h5\n"), "job.ini:1: syntax error");
  cfg_free(&c);
  tr_error_clear();
  c = new_cfg();
  assert_error(load_text(c, "[optimizer]\nlr = 1\nlr = 2\n"), "job.ini:3: optimizer.lr is set twice (first at");
  cfg_free(&c);
  tr_error_clear();
  c = new_cfg();
  assert_error(load_text(c, "key = 1\n"), "job.ini:1: unknown section []");
  cfg_free(&c);
}
END_TEST

START_TEST(long_line_and_missing_file) {
  cfg *c = new_cfg();
  char text[600] = "[data]\ntrain = ";
  memset(text + strlen(text), 'a', 400);
  assert_error(load_text(c, text), "job.ini:2: line longer than");
  tr_error_clear();
  assert_error(cfg_load_file(c, "/nonexistent/job.ini"), "/nonexistent/job.ini: cannot open job file");
  tr_error_clear();
  char *p = tu_path(tu_dir, "bin.ini");
  FILE *f = fopen(p, "wb");
  fwrite("[data]\0\0\n", 1, 9, f);
  fclose(f);
  assert_error(cfg_load_file(c, p), "not a text file");
  free(p);
  cfg_free(&c);
}
END_TEST

START_TEST(error_points_at_line) {
  cfg *c = new_cfg();
  ck_assert_int_eq(load_text(c, "[data]\n\ntrain = missing.h5\n"), TR_OK);
  ck_assert_int_eq(cfg_error(c, TR_EINPUT, "data", "train", "no such file"), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "job.ini:3: data.train: no such file"));
  tr_error_clear();
  cfg_error(c, TR_ECONFIG, "optimizer", "lr", "too big");
  ck_assert_str_eq(tr_error_message(), "optimizer.lr: too big");
  cfg_free(&c);
}
END_TEST

START_TEST(dump_and_help) {
  cfg *c = new_cfg();
  cfg_set(c, "optimizer.lr=0.25");
  char *text = cfg_dump(c);
  ck_assert_ptr_nonnull(strstr(text, "[optimizer]\nlr = 0.25\n"));
  /* the dump parses back to the same values */
  cfg *d = new_cfg();
  ck_assert_int_eq(load_text(d, text), TR_OK);
  ck_assert_double_eq_tol(values_of(d).lr, 0.25, 1e-12);
  free(text);
  cfg_free(&d);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cfg_print_help(c, f);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(buf, "linear|logistic|softmax|mlp"));
  ck_assert_ptr_nonnull(strstr(buf, "[storage]"));
  free(buf);
  cfg_free(&c);
}
END_TEST

/* What cfg_fill() stores: every type at its offset, enums as the index of the choice. */
typedef struct {
  const char *train;
  bool stratify;
  int type;
  cfg_ints hidden;
  double lr, optional;
  long epochs;
  int backend;
} typed;

static const char *backends(void) { return "local|s3|efs"; }

static const cfg_option typed_table[] = {
    {"data", "train", CFG_STR, "", 0, 0, NULL, "training data", CFG_AT(typed, train), NULL},
    {"data", "stratify", CFG_BOOL, "true", 0, 0, NULL, "stratified split", CFG_AT(typed, stratify), NULL},
    {"model", "type", CFG_ENUM, "logistic", 0, 0, "linear|logistic|softmax|mlp", "model", CFG_AT(typed, type), NULL},
    {"model", "hidden", CFG_LIST, "256,128", 1, 1e6, NULL, "hidden widths", CFG_AT(typed, hidden), NULL},
    {"optimizer", "lr", CFG_FLOAT, "0.001", 0, 10, NULL, "learning rate", CFG_AT(typed, lr), NULL},
    {"optimizer", "epochs", CFG_INT, "100", 1, 1e6, NULL, "max epochs", CFG_AT(typed, epochs), NULL},
    {"optimizer", "baseline", CFG_FLOAT, "", 0, 0, NULL, "optional", CFG_AT(typed, optional), NULL},
    {"optimizer", "note", CFG_STR, "", 0, 0, NULL, "not stored", 0, NULL},
};
/* A second module's table: joins [data] and brings a registry's choices. */
static const cfg_option backend_table[] = {
    {"storage", "backend", CFG_ENUM, "local", 0, 0, NULL, "backend", CFG_AT(typed, backend), backends},
    {"data", "extra", CFG_INT, "3", 0, 9, NULL, "another module's [data] key", 0, NULL},
};

START_TEST(fill_typed) {
  cfg_table tables[] = {{typed_table, 8}, {backend_table, 2}};
  cfg *c = cfg_new_tables(tables, 2);
  ck_assert_ptr_nonnull(c);
  ck_assert(!cfg_section_set(c, "storage"));
  ck_assert_int_eq(load_text(c, "[data]\ntrain = d.h5\nstratify = off\nextra = 4\n[model]\ntype = mlp\n"
                                "hidden = 8, 4 ,2\n[storage]\nbackend = efs\n"),
                   TR_OK);
  ck_assert_int_eq(cfg_set(c, "optimizer.epochs=7"), TR_OK);
  typed t;
  memset(&t, 0xff, sizeof t);
  cfg_fill(c, typed_table, 8, &t);
  cfg_fill(c, backend_table, 2, &t);
  ck_assert_str_eq(t.train, "d.h5");
  ck_assert(!t.stratify);
  ck_assert_int_eq(t.type, 3);
  ck_assert_int_eq(t.hidden.n, 3);
  ck_assert_int_eq(t.hidden.v[0], 8);
  ck_assert_int_eq(t.hidden.v[2], 2);
  ck_assert_double_eq_tol(t.lr, 0.001, 1e-12);
  ck_assert(isnan(t.optional));
  ck_assert_int_eq(t.epochs, 7);
  ck_assert_int_eq(t.backend, 2);
  ck_assert(cfg_section_set(c, "storage"));
  ck_assert(cfg_section_set(c, "optimizer")); /* by --set */
  /* the registry's choices are checked and listed */
  ck_assert_int_eq(cfg_set(c, "storage.backend=tape"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "expected one of local|s3|efs, got 'tape'"));
  tr_error_clear();
  /* the dump groups a section given by two tables */
  char *text = cfg_dump(c);
  ck_assert_ptr_nonnull(strstr(text, "[data]\ntrain = d.h5\nstratify = off\nextra = 4\n\n[model]"));
  free(text);
  /* a located error from a dotted key */
  ck_assert_int_eq(cfg_error_key(c, TR_ECONFIG, "model.hidden", "too deep"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "job.ini:7: model.hidden: too deep"));
  tr_error_clear();
  ck_assert_int_eq(cfg_set(c, "model.hidden=1,,2"), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "expected comma-separated integers"));
  tr_error_clear();
  cfg_free(&c);
  /* a key declared by two tables is a bug, reported */
  cfg_table twice[] = {{typed_table, 8}, {typed_table, 1}};
  ck_assert_ptr_null(cfg_new_tables(twice, 2));
  ck_assert_int_eq(tr_error_code(), TR_EINTERNAL);
  tr_error_clear();
}
END_TEST

START_TEST(text_diff) {
  const char *a = "[data]\ntrain = a.h5\nseed = 1\n\n[optimizer]\nlr = 0.002\n";
  char what[200];
  ck_assert(!cfg_text_diff(a, a, "A", "B", what, sizeof what));
  ck_assert(cfg_text_diff(a, "[data]\ntrain = a.h5\nseed = 1\n\n[optimizer]\nlr = 0.5\n", "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "optimizer.lr = 0.002 in A, 0.5 in B");
  ck_assert(cfg_text_diff(a, "[data]\ntrain = a.h5\nseed = 1\n\n[optimizer]\nlr = 0.002\nl2 = 1\n", "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "optimizer.l2 is set only in B");
  /* the same key in another section is another key */
  ck_assert(cfg_text_diff("[a]\nk = 1\n", "[b]\nk = 1\n", "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "a.k is set only in A");
  /* the texts are read as INI: the same values written differently are the same */
  ck_assert(!cfg_text_diff("[a]\nk=1\n[b]\nx.y = 2\n", "; dump\n[a]\nk = 1 ; same\n\n[b]\n  x.y=2\n", "A", "B",
                           what, sizeof what));
  ck_assert(cfg_text_diff("[b]\nx.y = 2\n", "[b]\nx.y = 3\n", "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "b.x.y = 2 in A, 3 in B");
  /* an empty text holds no values */
  ck_assert(!cfg_text_diff("", "; nothing\n", "A", "B", what, sizeof what));
  ck_assert(cfg_text_diff("", "[a]\nk = 1\n", "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "a.k is set only in B");
  /* a text that does not read says nothing, and leaves no error behind */
  tr_error_clear();
  ck_assert(!cfg_text_diff("[a]\nk = 1\n", "[a\nk = 2\n", "A", "B", what, sizeof what));
  ck_assert_int_eq(tr_error_code(), TR_OK);
  /* the first difference in A's order, over many keys */
  char *big_a = NULL, *big_b = NULL;
  size_t la = 0, lb = 0;
  FILE *fa = open_memstream(&big_a, &la), *fb = open_memstream(&big_b, &lb);
  for (int sec = 0; sec < 50; sec++) {
    fprintf(fa, "[s%d]\n", sec);
    fprintf(fb, "[s%d]\n", 49 - sec);
    for (int k = 0; k < 40; k++) {
      fprintf(fa, "k%d = %d\n", k, sec * k);
      fprintf(fb, "k%d = %d\n", 39 - k, (49 - sec) * (39 - k) + ((49 - sec) == 30 && (39 - k) >= 7));
    }
  }
  fclose(fa);
  fclose(fb);
  ck_assert(cfg_text_diff(big_a, big_b, "A", "B", what, sizeof what));
  ck_assert_str_eq(what, "s30.k7 = 210 in A, 211 in B");
  free(big_a);
  free(big_b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, defaults);
  tcase_add_test(tc, parses_file_with_comments);
  tcase_add_test(tc, set_overrides);
  tcase_add_test(tc, set_errors);
  tcase_add_test(tc, unknown_section);
  tcase_add_test(tc, unknown_key);
  tcase_add_test(tc, wrong_types);
  tcase_add_test(tc, list_length);
  tcase_add_test(tc, out_of_range);
  tcase_add_test(tc, syntax_and_duplicates);
  tcase_add_test(tc, long_line_and_missing_file);
  tcase_add_test(tc, error_points_at_line);
  tcase_add_test(tc, dump_and_help);
  tcase_add_test(tc, fill_typed);
  tcase_add_test(tc, text_diff);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
