/* Monotonic wall-clock time. */
#ifndef TR_TIMER_H
#define TR_TIMER_H
/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double tr_now(void);
/* Seconds since this process was started (forked), from /proc/self/stat (a clock
 * tick's resolution); NaN when unknown. */
double tr_process_age_s(void);
#endif
