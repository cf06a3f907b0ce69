/* A sweep's training workers (sweep_internal.h): a `tradeoff worker` child
 * (cli/cmd_worker.c) takes the train jobs of points with one rank one after another in
 * one process, so a data set is loaded, split and standardized once per worker (per data
 * key) instead of once per job, and the process, MPI and library start-up is paid once:
 * the way Ray Tune reuses actors. A job is the argv a child `tradeoff train` would get
 * (sweep_point_argv), sent as a JSON array a line on the worker's stdin; the worker
 * answers {"exit": N} a line on its stdout. A worker dies with the sweep (SIGTERM on the
 * sweep's end, kill -9 included: its running job checkpoints and stops, as a child
 * train does); one that died is started again for the next job. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "experiments/sweep_internal.h"

struct sweep_worker {
  pid_t pid;
  int in;        /* its requests (a pipe) */
  FILE *out;     /* its answers */
  bool dead;
};

char **sweep_worker_request_argv(const char *line, int *argc) {
  *argc = 0;
  cJSON *a = cJSON_Parse(line);
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
  bool strings = n >= 0;
  for (int i = 0; strings && i < n; i++) strings = cJSON_IsString(cJSON_GetArrayItem(a, i));
  if (!strings) {
    cJSON_Delete(a);
    tr_error_set(TR_EUSAGE, "worker", "a request is a JSON array of train's arguments (strings), one a line");
    return NULL;
  }
  char **v = calloc((size_t)n + 2, sizeof *v);
  bool ok = v && (v[0] = strdup("train"));
  for (int i = 0; ok && i < n; i++) ok = (v[i + 1] = strdup(cJSON_GetArrayItem(a, i)->valuestring)) != NULL;
  cJSON_Delete(a);
  if (!ok) {
    sweep_argv_free(v);
    tr_error_set(TR_ENOMEM, "worker", "out of memory");
    return NULL;
  }
  *argc = n + 1;
  return v;
}

bool sweep_worker_fits(const sweep_spec *s, const sweep_point *p) {
  return !s->process_runner && !strcmp(s->kind, "train") && p->ranks == 1;
}

sweep_worker *sweep_worker_start(const char *exe) {
  int req[2] = {-1, -1}, ans[2] = {-1, -1};
  sweep_worker *w = calloc(1, sizeof *w);
  if (w) w->in = -1;
  if (!w || pipe2(req, O_CLOEXEC) != 0 || pipe2(ans, O_CLOEXEC) != 0) {
    log_warn("cannot start a worker: %s", w ? strerror(errno) : "out of memory");
    goto fail;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    log_warn("cannot start %s worker: %s", exe, strerror(errno));
    goto fail;
  }
  if (pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127); /* already orphaned */
    if (dup2(req[0], STDIN_FILENO) < 0 || dup2(ans[1], STDOUT_FILENO) < 0) _exit(127);
    execlp(exe, exe, "worker", (char *)NULL);
    fprintf(stderr, "tradeoff: warning: cannot start %s worker: %s\n", exe, strerror(errno));
    _exit(127);
  }
  close(req[0]);
  close(ans[1]);
  w->pid = pid;
  w->in = req[1];
  w->out = fdopen(ans[0], "r");
  if (!w->out) {
    close(ans[0]);
    sweep_worker_stop(&w);
    return NULL;
  }
  return w;
fail:
  for (int i = 0; i < 2; i++) {
    if (req[i] >= 0) close(req[i]);
    if (ans[i] >= 0) close(ans[i]);
  }
  free(w);
  return NULL;
}

bool sweep_worker_alive(const sweep_worker *w) { return w && !w->dead; }

/* Writes all n bytes of p to fd; false on an error (EPIPE: the reader is gone). SIGPIPE
 * is blocked around the write and a pending one consumed, so a worker that died never
 * kills the sweep (whatever the process's SIGPIPE disposition). */
static bool write_all(int fd, const char *p, size_t n) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool ok = true, broke = false;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      broke = errno == EPIPE;
      ok = false;
      break;
    }
    p += k;
    n -= (size_t)k;
  }
  if (broke) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      struct timespec zero = {0, 0};
      sigtimedwait(&pipe_set, NULL, &zero);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return ok;
}

bool sweep_worker_send(sweep_worker *w, char *const *argv) {
  if (!sweep_worker_alive(w)) return false;
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 2; a && argv[0] && argv[1] && argv[i]; i++) cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
  char *text = a ? cJSON_PrintUnformatted(a) : NULL; /* one line: strings are escaped */
  cJSON_Delete(a);
  bool ok = text && write_all(w->in, text, strlen(text)) && write_all(w->in, "\n", 1);
  free(text);
  if (!ok) w->dead = true;
  return ok;
}

/* The worker's end: its exit status, or 128 + signal. */
static int reap(sweep_worker *w) {
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
  }
  w->pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sweep_worker_wait(sweep_worker *w) {
  if (!w) return 127;
  if (w->dead && w->pid < 0) return 127;
  char line[256];
  while (!w->dead) {
    errno = 0;
    if (fgets(line, sizeof line, w->out)) {
      cJSON *o = cJSON_Parse(line);
      const cJSON *e = cJSON_GetObjectItem(o, "exit");
      int status = cJSON_IsNumber(e) ? (int)e->valuedouble : -1;
      bool last = cJSON_IsTrue(cJSON_GetObjectItem(o, "last"));
      cJSON_Delete(o);
      if (status < 0) continue; /* not an answer */
      if (last) { /* it stops after this answer (a signal): the next job starts another */
        w->dead = true;
        close(w->in);
        w->in = -1;
        reap(w);
      }
      return status;
    }
    if (errno == EINTR) {
      clearerr(w->out);
      continue;
    }
    w->dead = true; /* the worker ended without answering */
  }
  if (w->in >= 0) { /* its end of input, so that a worker still reading ends too */
    close(w->in);
    w->in = -1;
  }
  int status = reap(w);
  log_warn("sweep: a worker ended (exit %d) during its job; the next job starts another", status);
  return status ? status : 1;
}

void sweep_worker_stop(sweep_worker **w) {
  if (!*w) return;
  if ((*w)->in >= 0) close((*w)->in); /* end of input: the worker ends */
  if ((*w)->out) fclose((*w)->out);
  if ((*w)->pid > 0) reap(*w);
  free(*w);
  *w = NULL;
}
