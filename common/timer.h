/* Monotonic wall-clock time. */
#ifndef TR_TIMER_H
#define TR_TIMER_H
/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double tr_now(void);
#endif
