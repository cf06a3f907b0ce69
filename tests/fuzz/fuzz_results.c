/* libFuzzer harness: the results.jsonl reader (results_load) and what reads its records:
 * every known metric of every record, the Pareto filter, and a recommendation. Each input
 * is a results.jsonl in the scratch directory. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "experiments/recommend.h"
#include "experiments/results.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_write("results.jsonl", data, size);
  run_records rs;
  if (results_load(fuzz_dir, &rs) == TR_OK) {
    for (size_t i = 0; i < rs.n; i++)
      for (size_t m = 0; results_metric_names[m]; m++) (void)results_metric(&rs.r[i], results_metric_names[m]);
    bool *dominated = calloc(rs.n ? rs.n : 1, sizeof *dominated);
    if (dominated) results_pareto(rs.r, rs.n, "auc", dominated);
    free(dominated);
  }
  results_free(&rs);
  tr_error_clear();
  recommend_query q = {.metric = "auc", .bound = 0.5, .at_least = true, .deadline_h = INFINITY, .top = 3};
  recommendation rec;
  if (recommend_runs(fuzz_dir, &q, &rec) == TR_OK) cJSON_Delete(recommend_json(&rec, &q));
  recommend_free(&rec);
  tr_error_clear();
  return 0;
}
