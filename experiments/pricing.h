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
/* The file it was read from. */
const char *pricing_path(const pricing *p);

typedef struct {
  double usd_per_hour;   /* on-demand */
  double spot_discount;  /* 0..1 */
  int vcpus, gpus;
  double memory_gib;
} pricing_instance;

/* True when the catalog has an [instance.<type>] section (its values unchecked). */
bool pricing_has_instance(const pricing *p, const char *type);

/* Looks up [instance.<type>]. Errors: TR_ECONFIG "path:line: [instance.T] KEY: expected
 * a number in [0, MAX]" for a malformed value (prices at most 1e6 USD, spot_discount at
 * most 1, vcpus and gpus whole numbers), "path: [instance.T] has no usd_per_hour", and
 * "cost.instance: unknown instance type" when the section is absent. */
tr_err pricing_find_instance(const pricing *p, const char *type, pricing_instance *out);

typedef struct {
  double usd_per_gb_month;     /* stored (or provisioned, FSx) GB-month */
  double usd_per_1k_get;       /* per 1,000 GET requests (S3) */
  double usd_per_gb_read;      /* per GB read (EFS elastic throughput) */
  double usd_per_mib_s_month;  /* per MiB/s-month provisioned (EFS provisioned throughput) */
} pricing_storage;

/* Looks up [storage.<name>] ("s3", "efs", "fsx.SCRATCH_2", ...); absent keys are NaN
 * (a bill line in that unit is then an error: experiments/cost.h). Errors as
 * pricing_find_instance's ("storage.backend: unknown storage service"). */
tr_err pricing_find_storage(const pricing *p, const char *name, pricing_storage *out);

/* USD per hour for one node: on-demand, or discounted on spot. */
double pricing_rate(const pricing_instance *it, bool spot);
#endif
