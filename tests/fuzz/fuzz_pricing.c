/* libFuzzer harness: the pricing catalog (pricing_load, then lookups of instances,
 * storage services and serving options). */
#include <stdint.h>

#include "common/error.h"
#include "experiments/pricing.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("pricing.ini", data, size);
  pricing *p = NULL;
  if (pricing_load(path, &p) == TR_OK) {
    static const char *const types[] = {"c5.xlarge", "p4d.24xlarge", ""};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
      pricing_instance it;
      pricing_find_instance(p, types[i], &it);
      tr_error_clear();
    }
    double usd;
    pricing_storage_price(p, "s3", "usd_per_1k_get", &usd);
    tr_error_clear();
    pricing_serving_value(p, "realtime.ml.c5.xlarge", "usd_per_hour", &usd);
    tr_error_clear();
    pricing_serving_value(p, "serverless", "usd_per_gb_second", &usd);
  }
  pricing_free(&p);
  tr_error_clear();
  return 0;
}
