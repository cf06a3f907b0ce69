/* Dense-layer matrix products through oneDNN's matmul primitive (the library PyTorch's
 * CPU path uses, with AVX-512 kernels where the CPU has them), for the three products of
 * a layer: forward Y = act(X W + b) with the bias and the activation fused, the weight
 * gradient dW += X^T dY (a sum post-op accumulates), and the input gradient dX = dY W^T
 * (transposes are strided views, nothing is copied). Primitives are built once per
 * (layer, product, row count) and kept in a small cache that belongs to one workspace,
 * hence to one thread. Every function returns false when oneDNN cannot do the product;
 * the caller (trainer/net.c) then uses OpenBLAS. */
#ifndef TR_DENSE_H
#define TR_DENSE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct dense_ctx dense_ctx;

/* Activation fused into the forward product. */
typedef enum { DENSE_NONE, DENSE_RELU, DENSE_TANH, DENSE_SIGMOID } dense_act;

/* A context (engine, stream, empty cache); NULL when oneDNN has no CPU engine. */
dense_ctx *dense_new(void);
void dense_free(dense_ctx **c);

/* Y (rows x out) = act(X (rows x in) W (in x out) + b (out)); layer keys the cache. */
bool dense_forward(dense_ctx *c, size_t layer, const float *X, const float *W, const float *b,
                   float *Y, size_t rows, size_t in, size_t out, dense_act act);
/* dW (in x out) += X^T dY, X rows x in, dY rows x out. */
bool dense_grad_w(dense_ctx *c, size_t layer, const float *X, const float *dY, float *dW,
                  size_t rows, size_t in, size_t out);
/* dX (rows x in) = dY (rows x out) W^T. */
bool dense_grad_x(dense_ctx *c, size_t layer, const float *dY, const float *W, float *dX,
                  size_t rows, size_t in, size_t out);
#endif
