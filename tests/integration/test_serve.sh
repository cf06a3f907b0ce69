# serve-bench end to end (issue 14), kept short with small request counts: serve.json
# with its units and counts, the table, --set and a job's [serve] section; bad [serve]
# keys, missing prices (refused before measuring), a corrupt model.h5 and one from
# another format version all exit 2 and write nothing.
source "$(dirname "$0")/lib.sh"

"$BIN" gen --task classification --rows 600 --features 8 --seed 3 --out d.h5 2>/dev/null
printf '[data]\ntrain = d.h5\n[model]\ntype = mlp\nhidden = 16\n[optimizer]\nepochs = 2\n' > t.ini
"$BIN" train t.ini --out run --quiet 2>/dev/null
check "a model to serve" test -f run/model.h5

QUICK=(--set serve.requests=40 --set serve.warmup=5 --set serve.max_batch=16 --set serve.batch_seconds=0)
expect_ok "$BIN" serve-bench run/model.h5 "${QUICK[@]}" --quiet
check "serve.json beside the model" test -f run/serve.json
check "serve.json: keys, units, counts" $PY - run/serve.json <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["format"] == "tradeoff-serve" and o["format_version"] == 1, o["format"]
assert o["precision"] == "fp32" and o["model"]["precision"] == "fp32"
assert o["model"]["features"] == 8 and o["model"]["hidden"] == [16]
h = o["provenance"]["host"]
assert h["name"] and h["cores"] >= 1 and h["priced_as"] == "ml.c5.xlarge", h
lat = o["latency"]
assert [l["clients"] for l in lat][0] == 1 and lat[-1]["clients"] == h["cores"], lat
for l in lat:
    assert l["requests"] == 40 * l["clients"] and l["warmup_requests"] == 5 * l["clients"], l
    assert 0 < l["p50_ms"] <= l["p95_ms"] <= l["p99_ms"] <= l["max_ms"], l
assert [t["batch"] for t in o["throughput"]] == [1, 2, 4, 8, 16], o["throughput"]
assert all(t["rows_per_s"] > 0 and t["batches_timed"] >= 5 for t in o["throughput"])
c = o["capacity"]
assert c["requests_per_step"] == 40 and c["steps"] and c["p95_target_ms"] == 50
assert o["max_rps"] == c["rps"] and o["p99_ms"] == lat[0]["p99_ms"]
assert o["load"]["load_ms"] > 0 and o["memory"]["weights_bytes"] == (8 * 16 + 16 + 16 + 1) * 4 + 2 * 8 * 8 + 2 * 4
assert o["memory"]["footprint_mb"] > 0 and o["memory"]["peak_rss_mb"] > 0
opts = [d["option"] for d in o["deployments"]]
assert opts == ["realtime", "serverless", "async", "batch"], opts
for d in o["deployments"]:
    assert d["usd_per_month"] > 0 and d["usd_per_1m_requests"] > 0 and d["basis"] and d["why"], d
    assert d["priced_from"].startswith("[serving." + d["option"]) and d["source"].startswith("https://") and d["as_of"], d
assert o["memory"]["footprint_mb_batch1"] <= o["memory"]["footprint_mb"]
sl = [d for d in o["deployments"] if d["option"] == "serverless"][0]
assert sl["footprint_mb"] == o["memory"]["footprint_mb_batch1"], sl
assert o["traffic"]["kind"] == "constant" and o["traffic"]["mean_rps"] == 10
assert "warm" in o["warmup"]
PY

# a job's [serve] section (diurnal, projections) and --out
{ printf '[serve]\ntraffic = diurnal\ndiurnal = '
  for h in $(seq 0 23); do printf '%s%d' "$([[ $h -gt 0 ]] && echo ,)" $((h * 10)); done
  printf '\nproject = ml.c5.2xlarge\nrequests = 40\nwarmup = 5\nmax_batch = 4\nbatch_seconds = 0\n'; } > s.ini
out=$("$BIN" serve-bench run/model.h5 s.ini --out sb 2>/dev/null)
check "table printed" grep -q 'p99_ms' <<<"$out"
check "deployments printed" grep -q '^serverless' <<<"$out"
check "diurnal profile and projection in serve.json" $PY - sb/serve.json <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["traffic"]["kind"] == "diurnal" and o["traffic"]["peak_rps"] == 230, o["traffic"]
rt = [d for d in o["deployments"] if d["option"] == "realtime"]
assert [d["instance"] for d in rt] == ["ml.c5.xlarge", "ml.c5.2xlarge"], rt
PY

# bad [serve] keys: exit 2 at file:line, before anything is measured or written
printf '[serve]\nrps = 10\np95_msec = 5\n' > b1.ini
expect_error 2 "b1.ini:3: unknown key 'p95_msec' in \[serve\]" "$BIN" serve-bench run/model.h5 b1.ini --out bad
# a catalog whose serving instance has no vCPUs: exit 2 at its line, nothing measured
awk '/^\[serving.realtime.ml.c5.xlarge\]/ {s = 1} s && /^vcpus/ {print "vcpus = 0"; s = 0; next} {print}' \
  "$SRC/configs/pricing.ini" > zero.ini
line=$(grep -n '^vcpus = 0' zero.ini | cut -d: -f1)
expect_error 2 "zero.ini:$line: \[serving.realtime.ml.c5.xlarge\] vcpus: expected a whole number in \[1, 1000000\], got '0'" \
  "$BIN" serve-bench run/model.h5 --set cost.pricing=zero.ini --out bad
check "nothing written for a bad catalog" test ! -e bad/serve.json
printf '[serve]\ntraffic = diurnal\ndiurnal = 1,2,3\n' > b2.ini
expect_error 2 "b2.ini:3: serve.diurnal: expected 24 comma-separated requests/s" "$BIN" serve-bench run/model.h5 b2.ini --out bad
expect_error 2 "serve.requests: .*'ten'" "$BIN" serve-bench run/model.h5 --set serve.requests=ten --out bad
expect_error 2 "unknown serving option 'realtime.ml.nope'" "$BIN" serve-bench run/model.h5 --set serve.instance=ml.nope --out bad
printf '[serving.realtime.ml.c5.xlarge]\nusd_per_hour = 1\nvcpus = 4\n' > p.ini
expect_error 2 "p.ini: \[serving.async.ml.c5.xlarge\]|no \[serving.async.ml.c5.xlarge\]" "$BIN" serve-bench run/model.h5 --set cost.pricing=p.ini --out bad
check "nothing written by refused runs" test ! -e bad

# models that are not a tradeoff model of this version: exit 2 naming the file
cp run/model.h5 old.h5
$PY - old.h5 <<'PY'
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["format_version"] = 99
PY
expect_error 2 "old.h5" "$BIN" serve-bench old.h5 "${QUICK[@]}" --out bad
head -c 3000 run/model.h5 > corrupt.h5
expect_error 2 "corrupt.h5" "$BIN" serve-bench corrupt.h5 "${QUICK[@]}" --out bad
expect_error 2 "missing.h5" "$BIN" serve-bench missing.h5 --out bad
expect_error 2 "serve-bench: expected MODEL.h5" "$BIN" serve-bench
check "nothing written for bad models" test ! -e bad

# a sweep that serves (kind = train+serve): each point's record gets "serve"; recommend
# ranks by total cost of ownership under --p99-ms; report draws the serving figures
printf '[data]\ntrain = d.h5\n[optimizer]\nepochs = 1\n[serve]\nrequests = 40\nwarmup = 5\nmax_batch = 4\nbatch_seconds = 0\nmonths = 6\n' > sj.ini
printf '[sweep]\njob = sj.ini\nkind = train+serve\nmetric = auc\n[variant.baseline]\nmodel.type = logistic\n[variant.mlp]\nmodel.type = mlp\nmodel.hidden = 16\n' > sw.ini
expect_ok "$BIN" sweep sw.ini --out sw
check "every record served" $PY - sw/results.jsonl <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2, len(recs)
for r in recs:
    s = r["serve"]
    assert s["precision"] == "fp32" and s["p99_ms"] > 0 and s["traffic"]["months"] == 6, s
    assert [d["option"] for d in s["deployments"]] == ["realtime", "serverless", "async", "batch"]
PY
out=$("$BIN" recommend sw --metric auc --min 0 --p99-ms 1000 --json 2>&1)
check "recommend --p99-ms: total cost of ownership" $PY - "$out" <<'PY'
import json, sys
picks = json.loads(sys.argv[1])
assert len(picks) == 2 and picks[0]["tco_usd"] <= picks[1]["tco_usd"], picks
for p in picks:
    assert abs(p["tco_usd"] - (p["cost_usd"] + 6 * p["serve_usd_per_month"])) < 1e-6 * p["tco_usd"], p
    assert p["serve_p99_ms"] <= 1000 and "TCO" in p["why"], p
    assert p["serve_json"].endswith("/serve.json") and p["serve_label"] in ("measured", "projected"), p
    assert p["serve_deployment_basis"] and p["serve_traffic"]["kind"], p
PY
out=$("$BIN" recommend sw --metric auc --min 0 --p99-ms 1000 2>&1)
check "recommend --p99-ms prints its serving basis" grep -q '^    serving basis: sw/points/.*/serve.json; .*; traffic ' <<<"$out"
expect_error 1 "no deployment of theirs has p99 <= 1e-06 ms" "$BIN" recommend sw --metric auc --min 0 --p99-ms 0.000001
expect_ok "$BIN" report sw --out rep
check "serving figures drawn" test -s rep/serve-latency-vs-cost.png -a -s rep/serve-cost-per-1m.svg

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
