/* The report of a sweep, drawn and written. report_gnuplot_script() turns a planned
 * figure into a script that draws a PNG (pngcairo, else png) and an SVG; run_gnuplot()
 * feeds it to a gnuplot child process (posix_spawn, no shell: file names and ids never
 * reach one) and turns a failure into one line of what gnuplot said. report_write() draws
 * every figure under temporary names, writes report.md and report.html (report_render.c)
 * the same way and renames everything into place only when all of it succeeded. gnuplot
 * writes only fixed names (NAME.png, NAME.svg) in a private directory made next to the
 * report (tr_tmp_dir), its working directory: no path of the user's reaches a script, so
 * none can be read as gnuplot's `set output '|command'` pipe, and no planted link is
 * followed. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/path.h"
#include "experiments/report_internal.h"

extern char **environ;

/* ---- gnuplot syntax (report_internal.h) --------------------------------------------- */

void report_gp_quote(FILE *f, const char *s) {
  /* gnuplot's scanner takes '' as a quote only after another character of the literal:
     not first, not twice in a row ('it''''s' ends after it'). And before the scanner,
     gnuplot's macro expander (@NAME, on by default in gnuplot 5) tells quoted text from
     unquoted by toggling at every ' of the line, even one inside "...": a quote written
     as "'" would leave the rest of the literal unquoted to it, and an @NAME there
     expanded (a value with a ' in it then read as commands). So a quote closes the
     literal, is concatenated as "\047" (an escape, no ' character) and a new literal
     opens: 'it'."\047".'s'. Every ' on the line then delimits one of these literals,
     and the expander sees all of their text as quoted. */
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputs("'.\"\\047\".'", f);
    else fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
  }
  fputc('\'', f);
}

/* Datablock lines are data: gnuplot stores them as read, with no macro expansion (@NAME
 * stays @NAME) and no backquote substitution; only a line that is exactly EOD would end
 * the block, and every line written here starts with a number or a quote. */
void report_gp_datastr(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) fputc(*s == '"' || *s == '\\' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s, f);
  fputc('"', f);
}

void report_gp_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.10g", v);
  else fputs("NaN", f);
}

/* ---- the script and the gnuplot process ------------------------------------------- */

/* `set output 'path'`; a name starting with '|' would be a pipe to /bin/sh: ./|... */
static void gp_set_output(FILE *f, const char *path) {
  fputs("set output ", f);
  if (*path == '|') {
    char *local = report_printf("./%s", path);
    report_gp_quote(f, local ? local : "");
    free(local);
  } else {
    report_gp_quote(f, path);
  }
  fputc('\n', f);
}

char *report_gnuplot_script(const report_figure *f, const char *png, const char *svg) {
  report_buf m;
  if (report_buf_open(&m) != TR_OK) return NULL;
  fputs("# written by tradeoff report\n", m.f);
  fputs(f->data ? f->data : "", m.f);
  fprintf(m.f,
          "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo size %d,%d noenhanced font 'Sans,10' background '#ffffff'\n"
          "} else {\n"
          "  set terminal png size %d,%d noenhanced\n"
          "}\n",
          f->width, f->height, f->width, f->height);
  gp_set_output(m.f, png);
  fprintf(m.f, "%s\nunset output\nreset\n", f->body ? f->body : "");
  fprintf(m.f, "set terminal svg size %d,%d noenhanced font 'Sans,10' background '#ffffff'\n", f->width, f->height);
  gp_set_output(m.f, svg);
  fprintf(m.f, "%s\nunset output\n", f->body ? f->body : "");
  return report_buf_close(&m);
}

/* One line from gnuplot's stderr: its last message, and the command it names. */
static void gnuplot_error(const char *err, char *buf, size_t n) {
  const char *lines[3] = {NULL, NULL, NULL};
  size_t lens[3] = {0, 0, 0}, count = 0;
  const char *first = NULL;
  size_t first_len = 0;
  for (const char *p = err; *p;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *s = p;
    size_t l = len;
    while (l && (*s == ' ' || *s == '\t')) s++, l--;
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\r' || s[l - 1] == '\t')) l--;
    if (l && !(l == 1 && *s == '^')) {
      if (!first) first = s, first_len = l;
      lines[0] = lines[1], lens[0] = lens[1];
      lines[1] = lines[2], lens[1] = lens[2];
      lines[2] = s, lens[2] = l;
      count++;
    }
    p = e ? e + 1 : p + len;
  }
  if (!count) {
    snprintf(buf, n, "no message");
    return;
  }
  int w = (int)(lens[2] > 300 ? 300 : lens[2]);
  if (count >= 2 && first != lines[2])
    snprintf(buf, n, "%.*s (at: %.*s)", w, lines[2], (int)(first_len > 160 ? 160 : first_len), first);
  else
    snprintf(buf, n, "%.*s", w, lines[2]);
}

/* Runs gnuplot with script on its stdin in directory cwd; TR_EIO with its stderr when it
 * fails. */
static tr_err run_gnuplot(const char *prog, const char *script, const char *what, const char *cwd) {
  FILE *in = tmpfile(), *err = tmpfile();
  if (!in || !err) {
    int e = errno;
    if (in) fclose(in);
    if (err) fclose(err);
    return tr_error_set(TR_EIO, "report", "cannot create a temporary file: %s", strerror(e));
  }
  tr_err rc = TR_OK;
  if (fputs(script, in) < 0 || fflush(in) != 0 || fseek(in, 0, SEEK_SET) != 0)
    rc = tr_error_set(TR_EIO, "report", "cannot write the gnuplot script: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  bool fa_ok = rc == TR_OK && posix_spawn_file_actions_init(&fa) == 0;
  if (rc == TR_OK && !fa_ok) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  pid_t pid = 0;
  if (rc == TR_OK) {
    posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
    /* the program as named here: a relative path is made absolute before the child's cd */
    char *abs = strchr(prog, '/') && *prog != '/' ? realpath(prog, NULL) : NULL;
    char *argv[] = {(char *)prog, NULL};
    int e = posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (e == 0) e = posix_spawnp(&pid, abs ? abs : prog, &fa, NULL, argv, environ);
    free(abs);
    if (e != 0)
      rc = tr_error_set(TR_EIO, "report",
                        "cannot run gnuplot ('%s'): %s (install gnuplot-nox, or set TRADEOFF_GNUPLOT)", prog,
                        strerror(e));
  }
  if (fa_ok) posix_spawn_file_actions_destroy(&fa);
  if (rc == TR_OK) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        rc = tr_error_set(TR_EIO, "report", "waiting for gnuplot: %s", strerror(errno));
        break;
      }
    }
    char text[65536];
    size_t len = 0;
    if (rc == TR_OK && fseek(err, 0, SEEK_SET) == 0) len = fread(text, 1, sizeof text - 1, err);
    text[len] = '\0';
    if (rc == TR_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      char msg[512];
      gnuplot_error(text, msg, sizeof msg);
      if (WIFEXITED(status))
        rc = tr_error_set(TR_EIO, "report", "gnuplot failed drawing %s (exit %d): %s", what, WEXITSTATUS(status), msg);
      else
        rc = tr_error_set(TR_EIO, "report", "gnuplot was killed by signal %d drawing %s", WTERMSIG(status), what);
    } else if (rc == TR_OK && len) {
      for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strspn(line, " \t\r^") < strlen(line))
          log_warn("gnuplot, drawing %s: %s", what, line + strspn(line, " \t"));
    }
  }
  fclose(in);
  fclose(err);
  return rc;
}

/* ---- writing the files ------------------------------------------------------------ */

tr_err report_write(const report *rep, const char *out_dir, const char *gnuplot) {
  if (!gnuplot) gnuplot = getenv("TRADEOFF_GNUPLOT");
  if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";
  tr_err rc = tr_mkdir_p(out_dir);
  if (rc != TR_OK) return rc;
  char *md_path = path_join(out_dir, "report.md"), *html_path = path_join(out_dir, "report.html");
  char *work = NULL; /* gnuplot's private directory, where it draws NAME.png and NAME.svg */
  if (!md_path || !html_path) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  if (rc == TR_OK) rc = tr_tmp_dir(html_path, &work);
  char *local[REPORT_FIGURES][2] = {{NULL}}, *drawn[REPORT_FIGURES][2] = {{NULL}}, *final[REPORT_FIGURES][2] = {{NULL}};
  static const char *const ext[2] = {"png", "svg"};
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++) {
    for (int e = 0; e < 2; e++) {
      local[k][e] = report_printf("%s.%s", rep->fig[k].name, ext[e]);
      drawn[k][e] = local[k][e] ? path_join(work, local[k][e]) : NULL;
      final[k][e] = local[k][e] ? path_join(out_dir, local[k][e]) : NULL;
      if (!local[k][e] || !drawn[k][e] || !final[k][e]) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
    }
  }
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++) {
    if (rep->fig[k].omitted) continue;
    char *script = report_gnuplot_script(&rep->fig[k], local[k][0], local[k][1]);
    if (!script) {
      rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
      break;
    }
    rc = run_gnuplot(gnuplot, script, local[k][0], work);
    free(script);
    for (int e = 0; rc == TR_OK && e < 2; e++) {
      struct stat st;
      if (lstat(drawn[k][e], &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        rc = tr_error_set(TR_EIO, "report", "gnuplot wrote no %s (is its %s terminal missing?)", local[k][e],
                          e ? "svg" : "png");
    }
  }
  tr_atomic md = {0}, html = {0};
  if (rc == TR_OK) rc = tr_atomic_open(&md, md_path);
  if (rc == TR_OK) rc = report_write_md(rep, md.fp);
  if (rc == TR_OK) rc = tr_atomic_open(&html, html_path);
  if (rc == TR_OK) rc = report_write_html(rep, html.fp);
  /* everything is written: move the figures into place, then the pages that show them */
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++)
    for (int e = 0; rc == TR_OK && e < 2 && !rep->fig[k].omitted; e++) rc = tr_rename_durable(drawn[k][e], final[k][e]);
  if (rc == TR_OK) rc = tr_atomic_commit(&md);
  if (rc == TR_OK) rc = tr_atomic_commit(&html);
  if (rc != TR_OK) {
    tr_atomic_abort(&md);
    tr_atomic_abort(&html);
  }
  for (int k = 0; k < REPORT_FIGURES; k++)
    for (int e = 0; e < 2; e++) {
      /* a figure an earlier report drew and this one leaves out would mislead */
      if (rc == TR_OK && rep->fig[k].omitted && final[k][e]) unlink(final[k][e]);
      free(local[k][e]);
      free(drawn[k][e]);
      free(final[k][e]);
    }
  tr_tmp_dir_remove(work);
  free(work);
  free(md_path);
  free(html_path);
  return rc;
}
