/* `tradeoff predict`: a trained model applied to new rows, the columns matched by name
 * (sklearn >= 1.2 refuses mismatched feature names; so do we): the model's features are
 * taken from the data by their names in the model's order, the training label column is
 * dropped, extra columns are ignored (said), a missing one is an error naming it; files
 * without names (HDF5 without feature_names, LIBSVM) are taken by position. An HDF5
 * file is read from the datasets the model was trained from (model.h5's x_dataset and
 * y_dataset: data.x_dataset and data.y_dataset of its job). Labels are optional. */
#ifndef TR_PREDICT_H
#define TR_PREDICT_H
#include "common/error.h"

/* Writes CSV for every row of data_path to out_path atomically (NULL: stdout): prob_<c>
 * for the positive class value c then pred (binary), prob_<c> per class value then pred
 * (multiclass; pred in the label values), or pred (regression, in the target's units).
 * Errors: model_load's, ds_load's, TR_EINPUT naming the data file for a missing column
 * or a feature count that differs (by position), TR_EIO. */
tr_err predict_file(const char *model_path, const char *data_path, const char *out_path);
#endif
