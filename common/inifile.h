/* The one INI front end: every INI file the project reads (job files, sweep files, the
 * pricing catalog), and INI text it keeps (the job text of a checkpoint), goes through
 * it. The whole file is read first (a missing file, a read error or a NUL byte is
 * refused), lines longer than inih's buffer are refused instead of being split, section
 * names longer than INIFILE_MAX_SECTION instead of being truncated, a key given twice in
 * a section instead of either value winning, and inih then tokenizes it one line at a
 * time so every value reaches the handler with its line number. */
#ifndef TR_INIFILE_H
#define TR_INIFILE_H
#include "common/error.h"

/* The longest section name accepted ("variant.NAME", "instance.TYPE", ...): inih keeps
 * 49 bytes of a name and cuts the rest off, so longer names are refused. */
#define INIFILE_MAX_SECTION 48

/* Called for every `key = value` in order. Returns TR_OK to go on, or an error it has
 * recorded (tr_error_*): no further value is passed on after one. */
typedef tr_err (*inifile_fn)(void *user, const char *section, const char *key,
                             const char *value, long line);

/* Parses path, calling fn for each value. `what` names the file in the cannot-open
 * message ("job file" gives "PATH: cannot open job file: No such file or directory").
 * Errors, TR_ECONFIG unless said: cannot open, read error, not a text file, "PATH:LINE:
 * line longer than N characters", "PATH:LINE: section name longer than N characters",
 * "PATH:LINE: SECTION.KEY is set twice (first at PATH:LINE)", "PATH:LINE: syntax error
 * (...)", TR_ENOMEM, or the handler's error; when both a syntax error and a handler
 * error occur, the one on the earlier line is kept. */
tr_err inifile_parse(const char *path, const char *what, inifile_fn fn, void *user);
/* The same for INI text already in memory (a job text kept in a checkpoint); name stands
 * for PATH in the messages. */
tr_err inifile_parse_text(const char *text, const char *name, inifile_fn fn, void *user);
#endif
