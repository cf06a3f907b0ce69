/* The machine a run is measured on: its name, CPU model, online cores and memory, read
 * from the system (uname, /proc/cpuinfo, sysconf). A run's times come from this host; its
 * price from the instance type it is priced as, so results name both. */
#ifndef TR_HOST_H
#define TR_HOST_H

typedef struct {
  char name[256];      /* host name */
  char cpu[256];       /* "model name" of /proc/cpuinfo, or the architecture */
  int cores;           /* online logical CPUs */
  double memory_gib;   /* physical memory */
} host_info;

/* Fills *h; fields the system does not tell are "unknown" / 0. Never fails. */
void host_describe(host_info *h);
#endif
