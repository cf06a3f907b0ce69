/* One run at a time per output directory: a run (train, io-bench, a sweep) holds
 * flock(LOCK_EX | LOCK_NB) on DIR/.lock for its life, and the file holds its pid, so a
 * second run into DIR stops at once naming the holder instead of removing the first
 * one's temporaries or mixing their outputs. The kernel drops the lock when the holder
 * exits or dies, so a .lock left behind never blocks; the file itself stays (removing it
 * would let two runs lock two files of one name). Child processes do not inherit it. */
#ifndef TR_DIRLOCK_H
#define TR_DIRLOCK_H
#include "common/error.h"

typedef struct dirlock dirlock;

/* Locks dir (which must exist) for this process; *out gets the lock (NULL on failure).
 * TR_EUSAGE "DIR is in use by pid N" when another process holds it; TR_EIO naming
 * DIR/.lock when it cannot be opened (a link there is never followed) or locked. On a
 * file system without locks (flock unsupported) a warning, and a lock that guards
 * nothing. */
tr_err dirlock_take(const char *dir, dirlock **out);

/* Releases the lock (the pid is cleared first) and frees it; *l is set NULL. Safe on
 * NULL. */
void dirlock_free(dirlock **l);
#endif
