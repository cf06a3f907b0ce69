/* Tests for experiments/sweep_run.c: the children's argv (mpirun or $TRADEOFF_LAUNCHER
 * for several ranks), the point object, the merge of the points' records, and the Slurm
 * array script: run by bash with names that hold spaces, quotes, $, backticks and
 * newlines, it passes exactly those names to the binary (and runs nothing else). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic_file.h"
#include "common/json.h"
#include "experiments/sweep_run.h"
#include "testutil.h"

static sweep_spec *load(const char *dir_name, const char *body) {
  char *dir = tu_path(tu_dir, dir_name);
  mkdir(dir, 0755);
  char *job = tu_path(tu_dir, "job.ini"), *path = tu_path(dir, "s.ini"), *text = NULL;
  tu_write(job, "[data]\ntrain = x.h5\n");
  ck_assert_int_ge(asprintf(&text, "[sweep]\njob = %s\n%s", job, body), 0);
  tu_write(path, text);
  sweep_spec *s = NULL;
  ck_assert_msg(sweep_load(path, &s) == TR_OK, "%s", tr_error_message());
  free(text);
  free(path);
  free(job);
  free(dir);
  return s;
}

static size_t count(char **v) {
  size_t n = 0;
  while (v[n]) n++;
  return n;
}

START_TEST(argv_of_points) {
  sweep_spec *s = load("a", "[variant.x]\nmodel.type = mlp\n[grid]\nranks = 1, 2\n");
  sweep_point p;
  ck_assert_int_eq(sweep_point_at(s, 0, &p), TR_OK);
  char **v = sweep_point_argv(s, &p, "/bin/tradeoff", "out/points/p0001", true);
  ck_assert_uint_eq(count(v), 9);
  ck_assert_str_eq(v[0], "/bin/tradeoff");
  ck_assert_str_eq(v[1], "train");
  ck_assert_str_eq(v[3], "--set");
  ck_assert_str_eq(v[4], "model.type=mlp");
  ck_assert_str_eq(v[6], "out/points/p0001");
  ck_assert_str_eq(v[7], "--quiet");
  ck_assert_str_eq(v[8], "--resume");
  sweep_argv_free(v);
  sweep_point_free(&p);
  ck_assert_int_eq(sweep_point_at(s, 1, &p), TR_OK);
  setenv("TRADEOFF_LAUNCHER", "srun", 1);
  v = sweep_point_argv(s, &p, "/bin/tradeoff", "d", false);
  ck_assert_str_eq(v[0], "srun");
  ck_assert_str_eq(v[1], "-n");
  ck_assert_str_eq(v[2], "2");
  ck_assert_str_eq(v[3], "/bin/tradeoff");
  sweep_argv_free(v);
  unsetenv("TRADEOFF_LAUNCHER");
  v = sweep_point_argv(s, &p, "/bin/tradeoff", "d", false);
  ck_assert_str_eq(v[0], "mpirun");
  ck_assert_str_eq(v[3], "--oversubscribe");
  sweep_argv_free(v);
  cJSON *o = sweep_point_json(s, &p, "points/p0002");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "label")), "measured");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "set"), "model.type")), "mlp");
  ck_assert(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "ranks")) == 2);
  cJSON_Delete(o);
  sweep_point_free(&p);
  sweep_free(&s);
}
END_TEST

START_TEST(merge_records) {
  sweep_spec *s = load("m", "[grid]\noptimizer.lr = 0.1, 0.2, 0.3\n");
  char *out = tu_path(tu_dir, "out");
  /* points 1 and 3 have records (in directories named by their configuration's
     digest); 2 failed; a record of a configuration no longer in the file is dropped */
  for (int i = 1; i <= 4; i++) {
    if (i == 2) continue;
    char id[8], *dir, *rec, body[200], digest[17] = "0123456789abcdef";
    snprintf(id, sizeof id, "p%04d", i);
    sweep_point pt;
    if (i <= 3) {
      ck_assert_int_eq(sweep_point_at(s, (size_t)i - 1, &pt), TR_OK);
      ck_assert_int_eq(sweep_point_digest(s, &pt, digest), TR_OK);
      sweep_point_free(&pt);
    }
    ck_assert_int_ge(asprintf(&dir, "%s/points/%s-%.12s", out, id, digest), 0);
    ck_assert_int_eq(tr_mkdir_p(dir), TR_OK);
    rec = tu_path(dir, "record.json");
    snprintf(body, sizeof body, "{\"point\": {\"id\": \"%s\"}, \"cost\": {\"total_usd\": %d}}", id, i);
    tu_write(rec, body);
    free(rec);
    free(dir);
  }
  size_t n = 0;
  ck_assert_int_eq(sweep_merge(s, out, &n), TR_OK);
  ck_assert_uint_eq(n, 2);
  char *path = tu_path(out, "results.jsonl"), line[256];
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_nonnull(strstr(line, "\"p0001\""));
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_nonnull(strstr(line, "\"p0003\""));
  ck_assert_ptr_null(fgets(line, sizeof line, f));
  fclose(f);
  free(path);
  free(out);
  sweep_free(&s);
}
END_TEST

START_TEST(slurm_script_quotes_every_word) {
  const char *hostile = "we'ird $(touch PWNED) `touch PWNED2` \"q\" \\ $HOME\nnext";
  char *dir_name = NULL;
  ck_assert_int_ge(asprintf(&dir_name, "s %s", hostile), 0);
  sweep_spec *s = load(dir_name, "[grid]\nranks = 1, 2\n");
  /* the binary records its arguments, one per line */
  char *exe = tu_path(tu_dir, "fake tradeoff's"), *args = tu_path(tu_dir, "args.txt"), *script_text = NULL;
  ck_assert_int_ge(asprintf(&script_text, "#!/bin/bash\nprintf '%%s\\n' \"$@\" > '%s'\n", args), 0);
  tu_write(exe, script_text);
  chmod(exe, 0755);
  char *out = tu_path(tu_dir, hostile), *path = NULL;
  ck_assert_int_eq(sweep_emit_slurm(s, out, exe, false, &path), TR_OK);
  /* bash parses it, and running a task calls the binary with the names as they are */
  char *run = NULL;
  ck_assert_int_ge(asprintf(&run, "cd '%s' && SLURM_ARRAY_TASK_ID=2 bash \"$SCRIPT\"", tu_dir), 0);
  setenv("SCRIPT", path, 1);
  ck_assert_int_eq(system(run), 0);
  unsetenv("SCRIPT");
  char *want = NULL;
  ck_assert_int_ge(asprintf(&want, "sweep\n%s\n--out\n%s\n--point\n2\n", s->path, out), 0);
  char *got = tu_read(args);
  ck_assert_str_eq(got, want);
  free(got);
  char *pwned = tu_path(tu_dir, "PWNED"), *pwned2 = tu_path(tu_dir, "PWNED2");
  struct stat st;
  ck_assert(stat(pwned, &st) != 0 && stat(pwned2, &st) != 0);
  /* emitting the array claims OUT as a run does: another sweep file's OUT needs force */
  sweep_spec *other = load("o", "[grid]\nranks = 1\n");
  char *again = NULL;
  tr_error_clear();
  ck_assert_int_eq(sweep_emit_slurm(other, out, exe, false, &again), TR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "--force to use it for this one"));
  ck_assert_ptr_null(again);
  tr_error_clear();
  ck_assert_int_eq(sweep_emit_slurm(other, out, exe, true, &again), TR_OK);
  free(again);
  sweep_free(&other);
  ck_assert_int_eq(sweep_emit_slurm(s, out, exe, true, &again), TR_OK); /* back, for the checks below */
  free(again);
  /* the array has one task per point */
  char *text = tu_read(path);
  ck_assert_ptr_nonnull(strstr(text, "#SBATCH --array=1-2\n"));
  ck_assert_ptr_nonnull(strstr(text, "#SBATCH --ntasks=2\n"));
  free(text);
  free(pwned);
  free(pwned2);
  free(want);
  free(run);
  free(path);
  free(out);
  free(script_text);
  free(args);
  free(exe);
  free(dir_name);
  sweep_free(&s);
}
END_TEST

START_TEST(digests) {
  sweep_spec *s = load("d", "[grid]\noptimizer.name = lbfgs, adam\nranks = 1, 2\n");
  char d[4][17];
  for (size_t i = 0; i < 4; i++) {
    sweep_point p;
    ck_assert_int_eq(sweep_point_at(s, i, &p), TR_OK);
    ck_assert_int_eq(sweep_point_digest(s, &p, d[i]), TR_OK);
    sweep_point_free(&p);
  }
  /* four configurations, four digests */
  for (int a = 0; a < 4; a++)
    for (int b = a + 1; b < 4; b++) ck_assert_str_ne(d[a], d[b]);
  sweep_free(&s);
  /* the edited file (values swapped): the same configurations, in another order */
  s = load("d", "[grid]\noptimizer.name = adam, lbfgs\nranks = 1, 2\n");
  sweep_point p;
  char e[17];
  ck_assert_int_eq(sweep_point_at(s, 0, &p), TR_OK);
  ck_assert_int_eq(sweep_point_digest(s, &p, e), TR_OK);
  ck_assert_str_eq(e, d[2]); /* adam on 1 rank was point 3 */
  sweep_point_free(&p);
  sweep_free(&s);
}
END_TEST

START_TEST(point_past_the_end) {
  sweep_spec *s = load("p", "[grid]\nranks = 1\n");
  sweep_run_opts o = {.out_dir = tu_dir, .exe = "/bin/false", .point = 5};
  tr_error_clear();
  ck_assert_int_eq(sweep_run(s, &o), TR_EUSAGE);
  ck_assert_str_eq(tr_error_message(), "sweep: --point 5: the sweep has 1 points");
  tr_error_clear();
  /* a failing child: the sweep reports it and goes on */
  o.point = 0;
  ck_assert_int_eq(sweep_run(s, &o), TR_EIO);
  ck_assert_str_eq(tr_error_message(), "sweep: 1 of 1 points failed");
  tr_error_clear();
  sweep_free(&s);
}
END_TEST

START_TEST(bad_value_before_anything_runs) {
  /* 0.5 TiB passes the key's range but not FSx's check (at least 1.2): the sweep stops
     before point 1 runs or OUT exists, at the line of the value, for a run, a merge and a
     Slurm array */
  sweep_spec *s = load("b", "[grid]\noptimizer.lr = 0.1\nstorage.fsx.capacity_tib = 2.4, 0.5\n");
  char *out = tu_path(tu_dir, "bout"), *want = NULL, *script = NULL;
  ck_assert_int_ge(asprintf(&want, "%s:5: storage.fsx.capacity_tib = 0.5 (point p0002): must be 0 (the smallest "
                                   "that holds the data) or at least 1.2 TiB", s->path), 0);
  sweep_run_opts o = {.out_dir = out, .exe = "/bin/false"};
  ck_assert_int_eq(sweep_run(s, &o), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), want);
  tr_error_clear();
  size_t n = 0;
  ck_assert_int_eq(sweep_merge(s, out, &n), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), want);
  tr_error_clear();
  ck_assert_int_eq(sweep_emit_slurm(s, out, "/bin/false", false, &script), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), want);
  ck_assert_ptr_null(script);
  tr_error_clear();
  struct stat st;
  ck_assert_int_ne(stat(out, &st), 0);
  /* an array task of the good point resolves only that one */
  o.point = 1;
  ck_assert_int_eq(sweep_run(s, &o), TR_EIO); /* /bin/false: it ran, and failed */
  tr_error_clear();
  free(want);
  free(out);
  sweep_free(&s);
}
END_TEST

START_TEST(equal_configurations_share_a_directory) {
  /* points 1 and 3 are one configuration: one run, in p0001's directory, two records
     (every job its own child: runner = process) */
  sweep_spec *s = load("e", "runner = process\n[grid]\noptimizer.lr = 0.1, 0.2, 0.1\n");
  char *exe = tu_path(tu_dir, "fake"), *calls = tu_path(tu_dir, "calls"), *text = NULL;
  ck_assert_int_ge(asprintf(&text,
                            "#!/bin/bash\necho run >> '%s'\nwhile [[ $1 != --out ]]; do shift; done\nmkdir -p \"$2\"\n"
                            "echo '{\"cost\": {\"total_usd\": 1}}' > \"$2/result.json\"\n",
                            calls), 0);
  tu_write(exe, text);
  chmod(exe, 0755);
  char *out = tu_path(tu_dir, "eout");
  sweep_run_opts o = {.out_dir = out, .exe = exe};
  ck_assert_msg(sweep_run(s, &o) == TR_OK, "%s", tr_error_message());
  char *got = tu_read(calls);
  ck_assert_str_eq(got, "run\nrun\n");
  free(got);
  char *results = tu_path(out, "results.jsonl"), line[1024];
  FILE *f = fopen(results, "r");
  char dirs[3][64];
  for (int i = 0; i < 3; i++) {
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    cJSON *o = cJSON_Parse(line);
    snprintf(dirs[i], sizeof dirs[i], "%s", cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "point"), "dir")));
    cJSON_Delete(o);
  }
  ck_assert_ptr_null(fgets(line, sizeof line, f));
  fclose(f);
  ck_assert(!strncmp(dirs[0], "points/p0001-", 13) && !strncmp(dirs[1], "points/p0002-", 13));
  ck_assert_str_eq(dirs[2], dirs[0]);
  free(results);
  free(out);
  free(text);
  free(calls);
  free(exe);
  sweep_free(&s);
}
END_TEST

START_TEST(worker_request_lines) {
  int n = -1;
  char **v = sweep_worker_request_argv("[\"job.ini\", \"--set\", \"data.train=a\\nb \\\"q\\\".h5\", \"--resume\"]\n", &n);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(n, 5);
  ck_assert_str_eq(v[0], "train");
  ck_assert_str_eq(v[3], "data.train=a\nb \"q\".h5");
  ck_assert_ptr_null(v[5]);
  sweep_argv_free(v);
  v = sweep_worker_request_argv("[]", &n);
  ck_assert(v && n == 1 && !v[1]);
  sweep_argv_free(v);
  const char *bad[] = {"", "{\"a\": 1}", "[\"x\", 3]", "[\"x\"", "\"x\"", "[null]", "[[\"x\"]]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    tr_error_clear();
    ck_assert_ptr_null(sweep_worker_request_argv(bad[i], &n));
    ck_assert_int_eq(tr_error_code(), TR_EUSAGE);
    ck_assert_int_eq(n, 0);
  }
  tr_error_clear();
}
END_TEST

START_TEST(worker_runs_the_points_in_one_process) {
  /* the default runner: one `EXE worker` for the sweep's train points, each job a JSON
     array of train's arguments a line on its stdin, answered {"exit": N} a line */
  sweep_spec *s = load("w", "[grid]\noptimizer.lr = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7\n");
  char *exe = tu_path(tu_dir, "fakew"), *calls = tu_path(tu_dir, "wcalls"), *text = NULL;
  ck_assert_int_ge(asprintf(&text,
                            "#!/bin/bash\n[[ $1 == worker && $# == 1 ]] || exit 3\necho start >> '%s'\n"
                            "while IFS= read -r line; do\n"
                            "  out=$(sed -n 's/.*\"--out\",\"\\([^\"]*\\)\".*/\\1/p' <<< \"$line\")\n"
                            "  lr=$(sed -n 's/.*\"optimizer.lr=\\([^\"]*\\)\".*/\\1/p' <<< \"$line\")\n"
                            "  echo \"run $lr\" >> '%s'\n"
                            "  if [[ $lr == 0.2 ]]; then echo '{\"exit\": 1}'; continue; fi\n"
                            "  if [[ $lr == 0.4 ]]; then exit 9; fi\n"
                            "  if [[ $lr == 0.3 ]]; then mkdir -p \"$out\"; echo '{\"cost\": {\"total_usd\": 1}}' > \"$out/result.json\";\n"
                            "    echo '{\"exit\": 0}'; exec 0<&-; sleep 0.3; exit 9; fi\n"
                            "  mkdir -p \"$out\"; echo '{\"cost\": {\"total_usd\": 1}}' > \"$out/result.json\"\n"
                            "  if [[ $lr == 0.6 ]]; then echo '{\"exit\": 0, \"last\": true}'; exit 0; fi\n"
                            "  echo '{\"exit\": 0}'\n"
                            "done\n",
                            calls, calls), 0);
  tu_write(exe, text);
  chmod(exe, 0755);
  char *out = tu_path(tu_dir, "wout");
  sweep_run_opts o = {.out_dir = out, .exe = exe};
  /* p0002 failed (its worker answered exit 1), p0004 too: its worker closed its input
     after p0003 (the request meets a broken pipe, which must not kill the sweep) and
     ended without answering */
  ck_assert_int_eq(sweep_run(s, &o), TR_EIO);
  ck_assert_str_eq(tr_error_message(), "sweep: 2 of 7 points failed");
  tr_error_clear();
  char *got = tu_read(calls);
  /* one worker for the jobs in order; the one after a worker died gets a new worker, and
     so does the one after a worker said its answer was its last (p0006: a signal stopped
     it), without failing */
  ck_assert_str_eq(got, "start\nrun 0.1\nrun 0.2\nrun 0.3\nstart\nrun 0.5\nrun 0.6\nstart\nrun 0.7\n");
  free(got);
  size_t n = 0;
  ck_assert_int_eq(sweep_merge(s, out, &n), TR_OK);
  ck_assert_uint_eq(n, 5);
  free(out);
  free(text);
  free(calls);
  free(exe);
  sweep_free(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sweep_run");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, argv_of_points);
  tcase_add_test(tc, merge_records);
  tcase_add_test(tc, slurm_script_quotes_every_word);
  tcase_add_test(tc, digests);
  tcase_add_test(tc, point_past_the_end);
  tcase_add_test(tc, bad_value_before_anything_runs);
  tcase_add_test(tc, equal_configurations_share_a_directory);
  tcase_add_test(tc, worker_runs_the_points_in_one_process);
  tcase_add_test(tc, worker_request_lines);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
