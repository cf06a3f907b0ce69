/* Job configuration: a declarative option table (section, key, type, default, range,
 * help) drives INI parsing (inih), `--set SECTION.KEY=VALUE` overrides, validation and
 * `--help`. Every value remembers where it came from, so later checks can point at the
 * job file's line. */
#ifndef TR_CONFIG_H
#define TR_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

typedef enum {
  CFG_STR,    /* any text, may be empty */
  CFG_INT,    /* integer, within [min, max] when min < max */
  CFG_FLOAT,  /* finite number, within [min, max] when min < max; with default "" the
                 value is optional and reads as NaN when left empty */
  CFG_BOOL,   /* true|false|yes|no|on|off|1|0 */
  CFG_ENUM,   /* one of choices "a|b|c" */
  CFG_LIST,   /* comma-separated integers, each within [min, max] when min < max */
} cfg_type;

typedef struct {
  const char *section;
  const char *key;      /* may contain dots: "s3.first_byte_ms" */
  cfg_type type;
  const char *def;      /* default, as it would be written in the file */
  double min, max;      /* inclusive range (INT, FLOAT, LIST); unused when min >= max */
  const char *choices;  /* CFG_ENUM only */
  const char *help;
} cfg_option;

typedef struct cfg cfg;

/* A configuration holding the defaults of table[0..n) (the table must outlive it);
 * NULL on ENOMEM. */
cfg *cfg_new(const cfg_option *table, size_t n);
void cfg_free(cfg **c);

/* Parses an INI file over the current values. Errors (TR_ECONFIG, "path:line: ..."):
 * unreadable file, syntax, unknown section or key, duplicate key, invalid value. */
tr_err cfg_load_file(cfg *c, const char *path);

/* Applies "SECTION.KEY=VALUE" (the key may contain dots). Errors are TR_ECONFIG
 * "SECTION.KEY: ..." (or "--set: ..." when the text is not an assignment). */
tr_err cfg_set(cfg *c, const char *assignment);

/* Typed values. The section/key must be in the table (a bug otherwise: aborts). */
const char *cfg_str(const cfg *c, const char *section, const char *key);
long cfg_int(const cfg *c, const char *section, const char *key);
double cfg_float(const cfg *c, const char *section, const char *key);
bool cfg_bool(const cfg *c, const char *section, const char *key);
/* Parses a CFG_LIST into out[0..max); returns the count (0 for an empty list). */
size_t cfg_list(const cfg *c, const char *section, const char *key, long *out, size_t max);

/* True when the value was given in the file or by --set, not defaulted. */
bool cfg_is_set(const cfg *c, const char *section, const char *key);

/* Records an error (code, usually TR_ECONFIG or TR_EINPUT) located where the value
 * was given: "file:line: section.key: message", or "section.key: message". */
tr_err cfg_error(const cfg *c, tr_err code, const char *section, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The resolved configuration as INI text (every key, in table order; malloc'd). */
char *cfg_dump(const cfg *c);

/* Prints every option: "[section] key = default  (type, range) help". */
void cfg_print_help(const cfg_option *table, size_t n, FILE *out);
#endif
