/* Project-wide error codes and the first error of the calling thread, with where it
 * happened in the user's input ("train.csv:12", "optimizer.lr", ...). Library code
 * records an error and returns its code; only main() decides to exit. */
#ifndef TR_ERROR_H
#define TR_ERROR_H

typedef enum {
  TR_OK = 0,
  TR_EUSAGE,    /* bad command line */
  TR_ECONFIG,   /* bad job file, option or value */
  TR_EINPUT,    /* malformed or unsuitable data */
  TR_EIO,       /* the operating system failed a read or write */
  TR_ENOMEM,    /* out of memory */
  TR_EHDF5,     /* the HDF5 library failed on a well-formed request */
  TR_EMPI,      /* an MPI call failed */
  TR_ENUMERIC,  /* non-finite values, divergence */
  TR_EINTERNAL, /* a bug: an invariant did not hold */
  TR_ESTOPPED,  /* stopped on request (a signal) before finishing: not a failure; the
                   caller that asked for the stop ends cleanly (a checkpoint, exit 0) */
} tr_err;

/* Short fixed description of a code; never NULL. */
const char *tr_strerror(tr_err e);

/* Process exit status for a code: 0 for TR_OK, 2 for usage/config/input, else 1. */
int tr_exit_code(tr_err e);

/* Records the first error of this thread (later ones are dropped until tr_error_clear())
 * as "WHERE: message" (just "message" when where is NULL). Returns code. */
tr_err tr_error_set(tr_err code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As tr_error_set() with WHERE = "file:line" (line <= 0: just "file"). */
tr_err tr_error_at(tr_err code, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The recorded code (TR_OK when none) and message ("" when none). */
tr_err tr_error_code(void);
const char *tr_error_message(void);

/* Forgets the recorded error. */
void tr_error_clear(void);

/* A copy of an error, to carry one out of a worker thread into the caller's. */
typedef struct {
  tr_err code;
  char message[512];
} tr_error;

/* Copies this thread's error into *e (code TR_OK when none). */
void tr_error_save(tr_error *e);

/* Records *e in this thread as if set here (kept only if no error is recorded yet). */
tr_err tr_error_restore(const tr_error *e);

/* Records TR_ENOMEM when p is NULL; returns p. */
void *tr_check_alloc(void *p, const char *what);

#endif
