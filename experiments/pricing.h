/* The pricing catalog (configs/pricing.ini): EC2 instance rates and storage prices,
 * each with its source. Read once (pricing_load), then looked up by section. Cost =
 * rate x nodes x hours (x (1 - spot_discount) on spot). */
#ifndef TR_PRICING_H
#define TR_PRICING_H
#include <stdbool.h>

#include "common/error.h"

typedef struct pricing pricing;

/* The catalog a job uses when cost.pricing is empty, the first that exists of:
 * $TRADEOFF_PRICING; share/tradeoff/pricing.ini beside the running binary's directory
 * (an installed tradeoff: PREFIX/bin/tradeoff -> PREFIX/share/tradeoff); the source
 * tree's configs/pricing.ini (a build tree's tradeoff); configs/pricing.ini in the
 * current directory. malloc'd; TR_ECONFIG "cost.pricing: ..." naming where it looked
 * when none exists. */
char *pricing_default_path(void);

/* Reads the catalog at path (common/inifile.h: TR_ECONFIG "path: cannot open pricing
 * catalog (cost.pricing): ...", "path:LINE: syntax error ...", a key set twice in a
 * section). Values are checked when their section is looked up. NULL-safe free. */
tr_err pricing_load(const char *path, pricing **out);
void pricing_free(pricing **p);

typedef struct {
  double usd_per_hour;   /* on-demand */
  double spot_discount;  /* 0..1 */
  int vcpus, gpus;
  double memory_gib;
} pricing_instance;

/* The catalog's path, as given to pricing_load. */
const char *pricing_path(const pricing *p);

/* The text of key in [section] ("source", "as_of" of "serving.realtime.ml.c5.xlarge"),
 * pointing into p; NULL when absent. */
const char *pricing_text(const pricing *p, const char *section, const char *key);

/* True when the catalog has a [serving.<option>] section (its values unchecked). */
bool pricing_has_serving(const pricing *p, const char *option);

/* True when the catalog has an [instance.<type>] section (its values unchecked). */
bool pricing_has_instance(const pricing *p, const char *type);

/* Looks up [instance.<type>]. Errors: TR_ECONFIG "path:line: [instance.T] KEY: expected
 * a number in [MIN, MAX]" for a malformed value (prices at most 1e6 USD, spot_discount at
 * most 1, vcpus a whole number >= 1, gpus a whole number), "path: [instance.T] has no usd_per_hour", and
 * "cost.instance: unknown instance type" when the section is absent. */
tr_err pricing_find_instance(const pricing *p, const char *type, pricing_instance *out);

/* One price of [storage.<name>] ("s3", "efs", "fsx.SCRATCH_2", ...) into *usd: key
 * "usd_per_gb_month", "usd_per_1k_get", "usd_per_gb_read" or "usd_per_mib_s_month".
 * Errors: TR_ECONFIG "storage.backend: unknown storage service 'NAME'" when the section
 * is absent, "PATH:LINE: [storage.NAME] KEY: expected a number in [0, ...]" for a bad
 * value of any of its keys, and "PATH: [storage.NAME] has no KEY" when the section lacks
 * it (a bill line it cannot price is never $0). */
tr_err pricing_storage_price(const pricing *p, const char *name, const char *key, double *usd);

/* TR_OK when [instance.<type>] gives a spot_discount, else TR_ECONFIG "PATH: [instance.T]
 * has no spot_discount, which cost.spot = true needs" (an absent discount would price
 * on-demand as spot). */
tr_err pricing_require_spot(const pricing *p, const char *type);

/* One figure of [serving.<option>] (issue 14: "serverless", "realtime.ml.c5.xlarge",
 * "async.ml.c5.xlarge", "batch.ml.c5.xlarge") into *v: a price (usd_per_hour,
 * usd_per_gb_second, ...) or an instance figure (vcpus, memory_gib), a number in [0, 1e6]
 * (vcpus a whole number in [1, 1e6]).
 * Errors (TR_ECONFIG): "serve.instance: unknown serving option 'O' (no [serving.O] in
 * PATH)", "PATH:LINE: [serving.O] KEY: expected a (whole) number in [MIN, MAX], got 'V'", "PATH:
 * [serving.O] has no KEY". */
tr_err pricing_serving_value(const pricing *p, const char *option, const char *key, double *v);

/* USD per hour for one node: on-demand, or discounted on spot. */
double pricing_rate(const pricing_instance *it, bool spot);
#endif
