/* Text data files: CSV with a header line, and LIBSVM/SVMlight sparse rows, either
 * plain or gzip-compressed (read through zlib, which passes plain files through). */
#ifndef TR_TEXTDATA_H
#define TR_TEXTDATA_H
#include "common/error.h"
#include "io/dataset.h"

/* Reads a CSV file with a header line. label_column is a column name or a 0-based
 * index; NULL selects the column named "label", else the last column. The other
 * columns become features (names kept). Errors are TR_EINPUT "path:line: ..." for a
 * ragged row, a non-numeric or empty cell, no data rows, a truncated .gz, or an
 * unknown label column. */
tr_err csv_read(const char *path, const char *label_column, ds_dataset **out);
/* As csv_read, but the label is optional (for rows to predict): a label_column that is not
 * in the header, or with NULL no column named "label", gives every column as a feature and
 * no labels (y NULL). */
tr_err csv_read_features(const char *path, const char *label_column, ds_dataset **out);

/* Reads LIBSVM rows "label idx:val idx:val ..." (1-based, strictly increasing
 * indices) into a dense matrix with as many columns as the largest index. Errors are
 * TR_EINPUT "path:line: ..." for index 0, indices out of order, non-numeric labels or
 * values, no rows, a truncated .gz, or a largest index that makes the dense matrix more
 * than 1024 times the text and more than 256 MiB (the line of that index). */
tr_err libsvm_read(const char *path, ds_dataset **out);
#endif
