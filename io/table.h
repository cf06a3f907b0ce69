/* A raw table: the columns of a CSV file as they are, before any statistic is fitted.
 * Each column is numeric (float values) or categorical (strings, held as codes into the
 * column's levels), and any cell may be missing (an empty cell or one of the na_values).
 * The label column stays a column of the table; tbl_labels turns it into labels (numbers,
 * or class indexes of sorted string values). Encoding the features (one-hot, imputation)
 * is io/prep.h's, fitted on training rows only: the table itself holds no statistic. */
#ifndef TR_TABLE_H
#define TR_TABLE_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "io/dataset.h"

typedef enum { TBL_NUMERIC, TBL_CATEGORICAL } tbl_kind;

typedef struct {
  char *name;
  tbl_kind kind;
  size_t missing;  /* missing cells over all rows */
  char **levels;   /* categorical: the distinct strings, in the order first seen */
  size_t n_levels;
} tbl_column;

typedef struct {
  char *path;      /* the file, for messages */
  size_t rows, cols;
  float *v;        /* rows x cols, row-major: the value (numeric) or the level index
                      (categorical) of each cell; NaN when the cell is missing */
  long *line;      /* the file line of each row (1-based), for messages */
  tbl_column *col;
  size_t label;    /* the label column, or SIZE_MAX (no labels) */
} tbl;

/* How a CSV is typed. Zero-initialized is valid: auto typing, default na_values, the
 * label column "label"-or-last, required. */
typedef struct {
  const char *label_column;    /* name or 0-based index; NULL or "" = "label", else the last */
  bool label_optional;         /* a label column that is not there means no labels */
  const char *na_values;       /* comma-separated missing-value markers, matched in any
                                  case after trimming (an empty cell is always missing);
                                  NULL = TBL_DEFAULT_NA */
  bool no_auto;                /* true: a column is categorical only when named below; a
                                  non-numeric cell elsewhere is an error (file:line) */
  char *const *categorical;    /* columns read as strings whatever their cells look like */
  size_t n_categorical;
} tbl_opts;

#define TBL_DEFAULT_NA "NA,NaN,null,?"
/* At most this many levels in one categorical column (their codes are floats). */
#define TBL_MAX_LEVELS (1u << 24)

/* Reads a CSV file (plain or .gz) with a header line into a table. Cells may be quoted
 * ("a, b" and "" inside quotes). A column is categorical when named in o->categorical
 * or, unless o->no_auto, when any cell is neither a number nor missing (a column mixing
 * numbers and strings is said on stderr). Errors TR_EINPUT "path:line: ...": a ragged
 * row, an unterminated quote, a non-numeric cell with no_auto, a named column not in
 * the header, no data rows; "path: row R, feature J is Inf" (or NaN when NaN is not a
 * missing-value marker) and "path: row R, label is Inf" as ds_check_finite words them;
 * "path:line: row R, label is missing" for a labelled table. */
tr_err tbl_read_csv(const char *path, const tbl_opts *o, tbl **out);

/* Options of tbl_read_hdf5. */
typedef struct {
  const char *x_dataset, *y_dataset;  /* NULL: "X", "y" */
  bool label_optional;                /* no y dataset: no labels (else an error) */
  const char *na_values;              /* strings that are missing (NULL: TBL_DEFAULT_NA) */
  char *const *categorical;           /* 1-D string datasets to add as categorical columns */
  size_t n_categorical;
} tbl_h5_opts;

/* True when the HDF5 file at path needs the table reader: its y dataset holds strings,
 * or (n_categorical > 0) string columns are asked for. False for a file it cannot open
 * (the ordinary reader then says why). */
bool tbl_hdf5_wants_table(const char *path, const char *y_dataset, size_t n_categorical);

/* An HDF5 file as a table: the columns of X (named by its feature_names, else "x0"...;
 * NaN cells missing), then each named 1-D string dataset as a categorical column (its
 * name; empty strings and na_values missing), then y as the label column (numbers, or
 * strings: string labels). Fixed- and variable-length strings, as h5py writes them.
 * TR_EINPUT naming the file for a dataset that is missing, not 1-D, not strings (a
 * categorical one), of another row count, or an Inf feature (row and feature). */
tr_err tbl_read_hdf5(const char *path, const tbl_h5_opts *o, tbl **out);

/* A table of d's features (numeric columns named by d's feature names, else "x0",
 * "x1"...), no label column. d is not kept. */
tr_err tbl_from_dataset(const ds_dataset *d, const char *path, tbl **out);

void tbl_free(tbl **t);

/* The index of the column named name, or SIZE_MAX. */
size_t tbl_find(const tbl *t, const char *name);

/* The label column's values as labels, y[i] for every row: numbers as they are; for a
 * categorical label (strings), the index of the value in the sorted distinct values,
 * which go to *names (*n_names malloc'd strings, free with tbl_free_names; NULL for a
 * numeric label). With known_names (the training file's class names), a categorical
 * label is encoded by them instead and a value not among them is TR_EINPUT
 * "path:line: label "v" is not one of the training classes"; a numeric label column
 * with known_names is read as strings of its cells' values. */
tr_err tbl_labels(const tbl *t, char *const *known_names, size_t n_known, float *y, char ***names,
                  size_t *n_names);
void tbl_free_names(char **names, size_t n);

/* The names of the categorical feature columns of t (label excluded), as pointers into t. */
size_t tbl_categorical_names(const tbl *t, const char **names);
#endif
