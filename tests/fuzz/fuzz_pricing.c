/* libFuzzer harness: the pricing catalog (pricing_load, then lookups of instances and
 * storage services). */
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
  }
  pricing_free(&p);
  tr_error_clear();
  return 0;
}
