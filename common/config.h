/* Job configuration: declarative option tables (section, key, type, default, range,
 * help, and where the value goes in a typed struct) drive INI parsing
 * (common/inifile.h), `--set SECTION.KEY=VALUE` overrides, validation, `--help`, and
 * the one conversion of the text into typed parameter structs (cfg_fill, as fio turns a
 * job file into its thread_options). Every value remembers where it came from, so later
 * checks can point at the job file's line. */
#ifndef TR_CONFIG_H
#define TR_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

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

/* What cfg_fill() stores for each type: CFG_STR a const char * (valid while the cfg
 * lives), CFG_INT a long, CFG_FLOAT a double (NaN for an optional one left empty),
 * CFG_BOOL a bool, CFG_ENUM an int (the index of the value in choices, so an enum
 * declared in the same order converts directly), CFG_LIST a cfg_ints. */
#define CFG_LIST_MAX 64
typedef struct {
  size_t n;
  long v[CFG_LIST_MAX];
} cfg_ints;

/* The `at` of an option: where cfg_fill() stores it in a struct of type T. */
#define CFG_AT(T, member) (offsetof(T, member) + 1)

typedef struct {
  const char *section;
  const char *key;      /* may contain dots: "s3.first_byte_ms" */
  cfg_type type;
  const char *def;      /* default, as it would be written in the file */
  double min, max;      /* inclusive range (INT, FLOAT, LIST); unused when min >= max */
  const char *choices;  /* CFG_ENUM: "a|b|c" */
  const char *help;
  size_t at;            /* CFG_AT(T, member), or 0: cfg_fill() does not store it */
  const char *(*choices_of)(void);  /* CFG_ENUM without choices: "a|b|c" from a registry */
  unsigned flags;       /* CFG_RUNTIME, or 0 */
} cfg_option;

/* An option about how a run is run, not what it computes (a budget): cfg_dump() leaves
 * it out, so the job text a checkpoint is stamped with and a sweep point's digest do not
 * change with it (a run stopped by its budget resumes under a raised one). */
#define CFG_RUNTIME 1u

/* One module's options. */
typedef struct {
  const cfg_option *opts;
  size_t n;
} cfg_table;

typedef struct cfg cfg;

/* A configuration holding the defaults of tables[0..n_tables), in order (each must
 * outlive it). NULL on ENOMEM, or TR_EINTERNAL when two tables declare the same section
 * and key. */
cfg *cfg_new_tables(const cfg_table *tables, size_t n_tables);
void cfg_free(cfg **c);

/* Parses an INI file over the current values. Errors (TR_ECONFIG, "path:line: ..."):
 * unreadable file, syntax, unknown section or key, duplicate key, invalid value. */
tr_err cfg_load_file(cfg *c, const char *path);
/* The same for INI text in memory (a job kept in a model file); name stands for the
 * path in the messages. */
tr_err cfg_load_text(cfg *c, const char *text, const char *name);

/* Applies "SECTION.KEY=VALUE" (the key may contain dots). Errors are TR_ECONFIG
 * "SECTION.KEY: ..." (or "--set: ..." when the text is not an assignment). */
tr_err cfg_set(cfg *c, const char *assignment);

/* Stores the value of every option of table[0..n) that has an `at` into dst (a struct
 * of the type the table's CFG_AT names). The table must be one c was built from. */
void cfg_fill(const cfg *c, const cfg_option *table, size_t n, void *dst);

/* The text of a value by name, for code at the edge (the job loader, tests); typed
 * values come from cfg_fill(). The section/key must be in the table (a bug otherwise:
 * aborts). */
const char *cfg_str(const cfg *c, const char *section, const char *key);

/* True when the value was given in the file or by --set, not defaulted. */
bool cfg_is_set(const cfg *c, const char *section, const char *key);

/* The options c holds, in order: cfg_option_at(c, i) for i < cfg_count(c). */
size_t cfg_count(const cfg *c);
const cfg_option *cfg_option_at(const cfg *c, size_t i);

/* True when any option of section was given in the file or by --set. */
bool cfg_section_set(const cfg *c, const char *section);

/* Records an error (code, usually TR_ECONFIG or TR_EINPUT) located where the value
 * was given: "file:line: section.key: message", or "section.key: message". */
tr_err cfg_error(const cfg *c, tr_err code, const char *section, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for a key written "section.key" (a *_check_param() names one so). */
tr_err cfg_error_key(const cfg *c, tr_err code, const char *dotted_key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The resolved configuration as INI text (every key but CFG_RUNTIME ones, grouped by section in the order
 * sections first appear; malloc'd, NULL on ENOMEM). */
char *cfg_dump(const cfg *c);

/* Compares two cfg_dump() texts, read through the INI front end (common/inifile.h):
 * false when they hold the same values (or one does not read as INI), else true with the
 * first difference in what ("optimizer.lr = 0.002 in A, 0.5 in B", naming the sides
 * a_name and b_name; a key only one side has says so). Records no error. */
bool cfg_text_diff(const char *a, const char *b, const char *a_name, const char *b_name, char *what, size_t n);

/* Prints every option of c's tables: "[section] key = default  help (type, range)". */
void cfg_print_help(const cfg *c, FILE *out);
#endif
