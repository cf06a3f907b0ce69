/* Numbers for people: one dollar formatter and one duration formatter, used by every
 * log line, table and report, so the same amount always reads the same; and the one way
 * to build text piece by piece in a fixed buffer. */
#ifndef TR_FORMAT_H
#define TR_FORMAT_H
#include <stddef.h>

/* Dollars readable at any scale into buf: $12.35, $0.0123, $4.56e-06 ("-" for NaN or
 * an infinity). Returns buf. */
char *fmt_usd(double v, char *buf, size_t n);

/* A duration readable at any scale into buf: "0.52 s", "95.27 s", "12.5 min", "3.20 h"
 * ("-" for NaN or an infinity). Returns buf. */
char *fmt_duration(double seconds, char *buf, size_t n);

/* Appends printf-formatted text to buf (n bytes, NUL-terminated) at *len, cutting it at
 * the end of buf: *len never passes n - 1, so appending again never writes past buf. */
void fmt_append(char *buf, size_t n, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Buffer sizes that hold any result of the formatters above. */
#define FMT_USD_LEN 32
#define FMT_DURATION_LEN 32
#endif
