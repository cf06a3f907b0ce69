/* Preprocessing of a raw table (io/table.h) into model features, sklearn's
 * ColumnTransformer(SimpleImputer, OneHotEncoder) in one object: every statistic (the
 * fill value of each column, the categories one-hot encoding keeps) is fitted on the rows
 * it is given, the training split's, and then applied unchanged to any table whose
 * columns have the same names (the validation and test rows, a test file, predict's
 * file). Output features, per input column in the training file's order: a numeric
 * column gives itself ("age"); a categorical one gives one column per kept category
 * ("city=london", sorted) and "city=other" (the rare categories grouped by
 * max_categories, and at apply time every category not seen in training); with
 * add_indicator, a column that had missing training cells adds "age_missing".
 * Stored in model.h5's /prep group (prep_h5_save, prep_h5_load). */
#ifndef TR_PREP_H
#define TR_PREP_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/table.h"

/* In the order of data.impute's choices. */
typedef enum { PREP_MEAN, PREP_MEDIAN, PREP_MOST_FREQUENT, PREP_FAIL } prep_impute;

typedef struct {
  int impute;             /* prep_impute; categorical columns: most_frequent unless fail */
  bool add_indicator;     /* an indicator column per feature with missing training cells */
  size_t max_categories;  /* output columns per categorical feature, "other" included (as
                             sklearn's max_categories); 0 = no limit */
} prep_params;

/* NULL when p is usable, else why not (max_categories = 1 leaves only "other"). */
const char *prep_check_param(const prep_params *p);

typedef struct {
  char *name;
  tbl_kind kind;
  double fill;            /* numeric: the value missing cells get */
  char *fill_level;       /* categorical: the category missing cells get (NULL: "other") */
  bool indicator;         /* a "<name>_missing" column follows */
  char **kept, **rare;    /* categorical: kept categories (sorted), those grouped as other */
  size_t n_kept, n_rare;
  size_t missing;         /* missing cells in the fitted rows */
} prep_column;

typedef struct {
  prep_params p;
  char *na_values;        /* how the raw files are read (data.na_values) */
  size_t n_cols;          /* input columns (the label excluded), training file order */
  prep_column *col;
  size_t fit_rows;        /* rows the statistics were fitted on */
  size_t outputs;
  char **out_names;       /* outputs names */
} prep;

/* Fits on rows[0..n) of t (the label column left out). na_values is kept for predict.
 * TR_EINPUT naming the file when a missing cell is met with impute = fail. */
tr_err prep_fit(const tbl *t, const size_t *rows, size_t n, const prep_params *p, const char *na_values,
                prep **out);
void prep_free(prep **p);

/* TR_EINPUT "path:line: empty cell in column J \"name\" (data.impute = fail)" for the
 * first missing feature cell of t, else TR_OK. */
tr_err prep_check_missing(const tbl *t);

/* The features of rows[0..n) of t (rows NULL: every row, n ignored), columns matched by
 * name, into a new data set with p's output names (labels not set: y NULL). unknown
 * (p->n_cols counters, may be NULL) gets, per column, the cells whose category was not
 * seen in training (mapped to other); *imputed (may be NULL) the missing cells filled.
 * TR_EINPUT naming t's file for a column of p that t lacks, or text in a column the
 * model has as numeric ("path:LINE: column "age" holds text ("abc"); ..." at the first
 * cell that is not a number of a CSV file; "row R" for another). */
tr_err prep_apply(const prep *p, const tbl *t, const size_t *rows, size_t n, ds_dataset **out, size_t *unknown,
                  size_t *imputed);

/* "mean" | "median" | "most_frequent" | "fail" */
const char *prep_impute_name(int impute);

/* Writes p as the group /prep of file f (attributes readable by h5py; see README). */
herr_t prep_h5_save(hid_t f, const prep *p);
/* Reads /prep of f into *out (NULL when f has none). TR_EINPUT naming path when damaged. */
tr_err prep_h5_load(hid_t f, const char *path, prep **out);
#endif
