/* Step-by-step comparison with the peers (issue 16, bench/peers/step_compare.py): runs
 * our training step (net_forward, loss_eval, net_backward, the mean over the batch,
 * opt_step: the code of trainer/train.c's minibatch loop) on batches taken in row order
 * (step k uses rows [k*B, (k+1)*B) modulo ROWS, no shuffle), from given or our own initial
 * weights, and dumps the flat parameter vector (per layer: W in x out row-major, then b)
 * so a peer can replay the same steps from the same start.
 * Inputs, in DIR: X.f32 (ROWS x COLS float32, row-major), y.f32 (ROWS class indices as
 * float32) and, with INIT=file, init.f32 (the parameters). Outputs in DIR: init_ours.f32
 * (our initialization with seed SEED and scheme INIT, as `tradeoff train` draws it), params_K.f32 after
 * each step K listed in STEPS, loss.txt (one mean batch loss per step).
 * Usage: peer_steps DIR ROWS COLS CLASSES H1,H2,... BATCH LR L2 OPT STEPS INIT [SEED]
 *   OPT: adam | adamw | sgd; STEPS: comma list (1,10,100); INIT: he | torch | sklearn (our
 *   schemes, model.init) | file */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "trainer/loss.h"
#include "trainer/net.h"
#include "trainer/optim.h"

static int read_floats(const char *dir, const char *name, float *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f || fread(p, sizeof(float), n, f) != n) {
    fprintf(stderr, "peer_steps: cannot read %zu floats from %s\n", n, path);
    if (f) fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
}

static int write_floats(const char *dir, const char *name, const float *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, sizeof(float), n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "peer_steps: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 12 || argc > 13) {
    fprintf(stderr, "usage: peer_steps DIR ROWS COLS CLASSES H1,H2 BATCH LR L2 OPT STEPS INIT [SEED]\n");
    return 2;
  }
  const char *dir = argv[1];
  size_t rows = strtoul(argv[2], NULL, 10), cols = strtoul(argv[3], NULL, 10);
  net_spec spec = {.inputs = cols, .outputs = strtoul(argv[4], NULL, 10), .act = ACT_RELU};
  for (char *t = strtok(argv[5], ","); t && spec.n_hidden < NET_MAX_LAYERS - 1; t = strtok(NULL, ","))
    spec.hidden[spec.n_hidden++] = strtoul(t, NULL, 10);
  size_t bs = strtoul(argv[6], NULL, 10);
  double lr = atof(argv[7]), l2 = atof(argv[8]);
  int kind = opt_kind_from_name(argv[9]);
  uint64_t seed = argc > 12 ? strtoull(argv[12], NULL, 10) : 1;
  long steps[64];
  int n_steps = 0;
  for (char *t = strtok(argv[10], ","); t && n_steps < 64; t = strtok(NULL, ",")) steps[n_steps++] = atol(t);
  if (!rows || !bs || bs > rows || kind < 0 || kind == OPT_LBFGS || !n_steps) {
    fprintf(stderr, "peer_steps: bad arguments\n");
    return 2;
  }
  const char *init = argv[11];
  if (strcmp(init, "file") != 0) {
    int scheme = net_init_from_name(init);
    if (scheme < 0) {
      fprintf(stderr, "peer_steps: INIT must be he, torch, sklearn or file\n");
      return 2;
    }
    spec.init = (net_init_scheme)scheme;
  }
  net *n = net_new(&spec);
  float *X = ds_alloc_floats(rows * cols), *y = ds_alloc_floats(rows);
  float *dl = ds_alloc_floats(bs * spec.outputs);
  net_ws *ws = n ? net_ws_new(n, bs) : NULL;
  opt_state *o = n ? opt_new((opt_kind)kind, n->n_params, 0, l2) : NULL;
  float *g = n ? ds_alloc_floats(n->n_params) : NULL;
  if (!n || !X || !y || !dl || !ws || !o || !g) {
    fprintf(stderr, "peer_steps: out of memory or bad model\n");
    return 1;
  }
  if (read_floats(dir, "X.f32", X, rows * cols) || read_floats(dir, "y.f32", y, rows)) return 1;
  rng_t r;
  rng_seed(&r, seed ^ 0x5eedULL); /* as experiments/run.c */
  net_init(n, &r, false);
  if (write_floats(dir, "init_ours.f32", n->params, n->n_params)) return 1;
  if (!strcmp(init, "file") && read_floats(dir, "init.f32", n->params, n->n_params)) return 1;
  char path[4096];
  snprintf(path, sizeof path, "%s/loss.txt", dir);
  FILE *lf = fopen(path, "w");
  if (!lf) return 1;
  long last = steps[n_steps - 1];
  for (long k = 0, next = 0; k < last; k++) {
    size_t start = ((size_t)k * bs) % rows;
    if (start + bs > rows) start = 0;
    memset(g, 0, n->n_params * sizeof(float));
    const float *logits = net_forward(n, ws, X + start * cols, bs, true, NULL);
    double loss = loss_eval(HEAD_MULTICLASS, logits, y + start, bs, spec.outputs, dl, 1.0f);
    net_backward(n, ws, X + start * cols, bs, dl, g);
    float inv = 1.0f / (float)bs;
    for (size_t i = 0; i < n->n_params; i++) g[i] *= inv;
    opt_step(o, n->params, g, n->decay, lr);
    fprintf(lf, "%.9g\n", loss / (double)bs);
    if (k + 1 == steps[next]) {
      char name[64];
      snprintf(name, sizeof name, "params_%ld.f32", k + 1);
      if (write_floats(dir, name, n->params, n->n_params)) return 1;
      next++;
    }
  }
  fclose(lf);
  printf("params=%zu steps=%ld\n", n->n_params, last);
  return 0;
}
