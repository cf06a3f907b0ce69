/* Loss heads on top of a net's logits: binary cross-entropy with a sigmoid, multiclass
 * cross-entropy with a softmax, and squared error for regression. Loss sums in double. */
#ifndef TR_LOSS_H
#define TR_LOSS_H
#include <stddef.h>

typedef enum { HEAD_BINARY, HEAD_MULTICLASS, HEAD_REGRESSION } loss_head;
#define LOSS_HEADS 3

/* The task a head solves, as model.h5, result.json and messages name it: "binary",
 * "multiclass" or "regression" ("?" for a value outside the enum). */
const char *loss_head_name(loss_head h);

/* Sum over rows of the loss of logits (rows x width; width 1, or K for multiclass) against
 * y (0/1, class index 0..K-1, or target). When dlogits is not NULL, writes the gradient
 * of (sum of losses) * scale with respect to the logits. Stable for any logit value. */
double loss_eval(loss_head h, const float *logits, const float *y, size_t rows, size_t width,
                 float *dlogits, float scale);

/* Predictions from logits: P(class 1) (binary), K class probabilities per row
 * (multiclass), or the value (regression); out holds rows x width. */
void loss_predict(loss_head h, const float *logits, size_t rows, size_t width, float *out);
#endif
