/* Leveled logging to stderr, the one sink of the process. Messages below the level,
 * and everything but errors under --quiet, are dropped. */
#ifndef TR_LOG_H
#define TR_LOG_H
#include <stdbool.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level level);
void log_set_quiet(bool quiet);
/* Ranks other than 0 prefix their lines with "[rank R]"; rank < 0 means no MPI. */
void log_set_rank(int rank);
bool log_enabled(log_level level);
/* Prints "tradeoff: [warning: ]message" and a newline. */
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#endif
