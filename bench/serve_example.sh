#!/usr/bin/env bash
# The README's worked serving example (issue 14): the logistic baseline and the 256-128
# MLP on bench_serve.sh's data (20,000 x 256, binary), each serve-benched on this host
# and priced at a constant 10 and 1,000 requests/s: the monthly cost of a real-time
# endpoint (ml.c5.xlarge, autoscaled 1..10), serverless and a nightly batch transform,
# and the cheapest deployment whose p99 is within 50 ms. Prints a markdown table.
# Usage: bench/serve_example.sh [BUILD_DIR]  (run bench/bench_serve.sh first: its data)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$(dirname "$here")/build}" && pwd)
bin=$build/tradeoff
out=$here/out/serve
py=/usr/bin/python3
[ -f "$out/data.h5" ] || { echo "serve_example: run bench/bench_serve.sh first" >&2; exit 1; }
printf '[data]\ntrain = %s\n[model]\ntype = logistic\n[optimizer]\nepochs = 2\n' "$out/data.h5" > "$out/logistic.ini"
"$bin" train "$out/logistic.ini" --out "$out/run-logistic" --force --quiet
[ -f "$out/run/model.h5" ] || "$bin" train "$out/mlp.ini" --out "$out/run" --force --quiet
for m in logistic mlp; do
  model=$out/run-$m/model.h5
  [ $m = mlp ] && model=$out/run/model.h5
  for rps in 10 1000; do
    echo "serve_example: $m at $rps req/s" >&2
    "$bin" serve-bench "$model" --set serve.rps=$rps --set serve.p99_ms=50 --out "$out/example-$m-$rps" --quiet
  done
done
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| model | req/s | real-time (ml.c5.xlarge) | serverless | batch transform | cheapest under 50 ms p99 |")
print("|---|---:|---|---|---|---|")
for m in ("logistic", "mlp"):
    for rps in (10, 1000):
        o = json.load(open(f"{out}/example-{m}-{rps}/serve.json"))
        d = {x["option"]: x for x in o["deployments"]}
        def cell(x):
            p99 = x["p99_ms"]
            lat = f"p99 {p99:.3g} ms" if p99 is not None else "no latency bound"
            return f"${x['usd_per_month']:,.2f}/mo ({lat})"
        best = o["cheapest"]
        b = f"{best['option']} (${best['usd_per_month']:,.2f}/mo)" if best else "none"
        print(f"| {m} | {rps:,} | {cell(d['realtime'])} | {cell(d['serverless'])} | {cell(d['batch'])} | {b} |")
PY
