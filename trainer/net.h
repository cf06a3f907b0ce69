/* Feed-forward networks built from one layer kind: dense (x W + b) followed by an
 * activation and optional dropout on hidden layers. linear, logistic and softmax models
 * are nets without hidden layers; mlp adds them. All parameters live in one flat float32
 * buffer (weights then bias per layer) so optimizers, checkpoints and gradient
 * allreduce see a single vector. Forward/backward buffers live in a workspace, one per
 * thread, so full-batch passes can run chunks in parallel. */
#ifndef TR_NET_H
#define TR_NET_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/rng.h"

typedef enum { ACT_RELU, ACT_TANH, ACT_SIGMOID } net_act;

#define NET_MAX_LAYERS 16

/* Initialization schemes (model.init):
 *   NET_INIT_HE:      He normal (sd sqrt(2/fan_in)) before ReLU, Xavier/Glorot uniform
 *                     otherwise, zero biases.
 *   NET_INIT_TORCH:   PyTorch's nn.Linear: weights and biases U(-1/sqrt(fan_in), +).
 *   NET_INIT_SKLEARN: sklearn's MLP: weights and biases U(-a, a), a = sqrt(f/(fan_in +
 *                     fan_out)), f = 2 for sigmoid nets, else 6. */
typedef enum { NET_INIT_HE, NET_INIT_TORCH, NET_INIT_SKLEARN } net_init_scheme;


typedef struct {
  size_t inputs;                    /* features */
  size_t outputs;                   /* 1 (binary, regression) or K classes */
  size_t hidden[NET_MAX_LAYERS - 1];
  size_t n_hidden;
  net_act act;
  float dropout;                    /* hidden layers only, in [0, 1) */
  net_init_scheme init;             /* how net_init draws the weights (not stored in models) */
} net_spec;

typedef struct {
  size_t in, out;
  size_t w_off, b_off;  /* offsets of W (in x out, row-major) and b (out) in the flat buffer */
} net_layer;

typedef struct {
  net_spec spec;
  size_t n_layers;
  net_layer layer[NET_MAX_LAYERS];
  size_t n_params;
  float *params;          /* n_params, 64-byte aligned */
  unsigned char *decay;   /* n_params: 1 for weights (penalized), 0 for biases */
} net;

/* NULL or a message naming the bad field. */
const char *net_check_spec(const net_spec *s);

/* A net with zero parameters; NULL with the error recorded. */
net *net_new(const net_spec *s);
void net_free(net **n);

/* NET_INIT_* for "he" | "torch" | "sklearn"; -1 for an unknown name. */
int net_init_from_name(const char *name);

/* Initializes the parameters with the spec's scheme. With zero_init (convex linear
 * models, as sklearn starts lbfgs) everything is 0. */
void net_init(net *n, rng_t *rng, bool zero_init);

/* Which library computes the dense layers' matrix products: NET_KERNELS_AUTO is oneDNN's
 * matmul (bias and activation fused) where it can start, with OpenBLAS for single-output
 * layers and inside callers' parallel regions (chunked full-batch passes); OPENBLAS is
 * cblas_sgemm/sgemv everywhere. */
typedef enum { NET_KERNELS_AUTO, NET_KERNELS_OPENBLAS } net_kernels;

struct dense_ctx;

/* Forward/backward buffers for up to max_rows rows. */
typedef struct {
  size_t max_rows;
  struct dense_ctx *dense;      /* oneDNN primitives of this workspace, or NULL */
  float *act[NET_MAX_LAYERS];   /* rows x out of each layer, after activation/dropout */
  float *mask[NET_MAX_LAYERS];  /* dropout scale per unit (0 or 1/(1-p)), hidden layers */
  float *delta[2];              /* backprop scratch, rows x widest layer */
} net_ws;

net_ws *net_ws_new(const net *n, size_t max_rows);
/* The same with a choice of kernels. */
net_ws *net_ws_new_with(const net *n, size_t max_rows, net_kernels kernels);
void net_ws_free(net_ws **ws);

/* Forward pass of rows X (rows x inputs); returns the logits (rows x outputs, inside
 * ws). Dropout applies when train is true (masks drawn from rng, which may then not be
 * NULL). */
const float *net_forward(const net *n, net_ws *ws, const float *X, size_t rows, bool train,
                         rng_t *rng);

/* Backward pass after net_forward on the same ws and X: dlogits (rows x outputs) is the
 * loss gradient w.r.t. the logits; parameter gradients are ADDED to grads (n_params). */
void net_backward(const net *n, net_ws *ws, const float *X, size_t rows, const float *dlogits,
                  float *grads);

/* FLOPs (2 per multiply-add) of one forward pass per row. */
double net_flops_per_row(const net *n);
/* FLOPs per row of a training step: forward, weight gradients, and input gradients of
 * every layer but the first (the data needs none). Elementwise work is not counted. */
double net_train_flops_per_row(const net *n);
#endif
