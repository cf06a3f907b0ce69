# tradeoff report end to end: a small real sweep directory (train runs on 1 and 2 ranks
# and on two backends, io-bench runs on the virtual clock, a rightsizing projection;
# results.jsonl written here as sweep writes it), every figure as a non-empty PNG and SVG,
# report.md and report.html referencing them, report.html rendered headless by Debian's
# chromium with no image missing (and a removed image caught), figures left out with a
# reason, --out and --metric, and the errors: missing or malformed input, gnuplot missing
# or failing, with no half-written report.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

figures="learning-curves metric-vs-cost speedup cost-vs-ranks storage"

expect_ok "$BIN" gen --task classification --rows 4000 --features 12 --weights 0.8,0.2 --seed 3 --out d.h5
cat > job.ini <<EOF
[data]
train = d.h5
[model]
hidden = 16
[optimizer]
epochs = 10
[early_stopping]
monitor = val_auc
patience = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF
cat > io.ini <<EOF
[data]
train = d.h5
[workload]
computation_time = 0.002
batch_size = 64
epochs = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF
# the points of a sweep: variants x ranks, one point streaming from S3, io-bench per backend
expect_ok "$BIN" train job.ini --quiet --out sw/points/p0001 --set model.type=logistic --set optimizer.name=lbfgs
expect_ok mpirun -n 2 "$BIN" train job.ini --quiet --out sw/points/p0002 --set model.type=logistic --set optimizer.name=lbfgs
expect_ok "$BIN" train job.ini --quiet --out sw/points/p0003 --set model.type=mlp
expect_ok mpirun -n 2 "$BIN" train job.ini --quiet --out sw/points/p0004 --set model.type=mlp
expect_ok "$BIN" train job.ini --quiet --out sw/points/p0005 --set model.type=mlp --set storage.backend=s3 \
  --set storage.s3.first_byte_ms=1
for be in s3 efs fsx; do
  expect_ok "$BIN" io-bench io.ini --quiet --clock virtual --set storage.backend=$be --out sw/points/io-$be
done
cat > points.py <<'EOF'
# results.jsonl as sweep writes it: each run's result.json / io.json plus its "point"
import copy, json, sys
sw = sys.argv[1]
points = [("p0001", "baseline", "train", 1, {"model.type": "logistic", "optimizer.name": "lbfgs"}),
          ("p0002", "baseline", "train", 2, {"model.type": "logistic", "optimizer.name": "lbfgs"}),
          ("p0003", "mlp", "train", 1, {"model.type": "mlp"}),
          ("p0004", "mlp", "train", 2, {"model.type": "mlp"}),
          ("p0005", "mlp", "train", 1, {"model.type": "mlp", "storage.backend": "s3"}),
          ("io-s3", "", "io-bench", 1, {"storage.backend": "s3"}),
          ("io-efs", "", "io-bench", 1, {"storage.backend": "efs"}),
          ("io-fsx", "", "io-bench", 1, {"storage.backend": "fsx"})]
keep = sys.argv[2].split(",") if len(sys.argv) > 2 else None
with open(f"{sw}/results.jsonl", "w") as out:
    for pid, variant, kind, ranks, sets in points:
        if keep and pid not in keep:
            continue
        d = f"points/{pid}"
        rec = json.load(open(f"{sw}/{d}/" + ("result.json" if kind == "train" else "io.json")))
        rec["point"] = {"id": pid, "variant": variant, "kind": kind,
                        "label": "measured" if kind == "train" else "projected",
                        "ranks": ranks, "set": sets, "dir": d}
        out.write(json.dumps(rec) + "\n")
        if pid == "p0004" and not keep:  # a rightsizing projection of p0004
            p = copy.deepcopy(rec)
            p["point"].update(id="p0004@c5.xlarge", label="projected", projected_from="p0004")
            p["time"]["train_s"] *= 1.7
            p["time"]["total_s"] *= 1.7
            p["cost"].update(instance="c5.xlarge", total_usd=rec["cost"]["total_usd"] * 0.42)
            p["parallel"]["ranks"] = 1
            out.write(json.dumps(p) + "\n")
EOF
check "results.jsonl written" $PY points.py sw

out=$("$BIN" report sw 2>report.err)
rc=$?
check "report exits 0 and prints the page's path (exit $rc: $(cat report.err))" test "$rc" = 0 -a "$out" = sw/report.html
for f in $figures; do
  check "$f.png is a non-empty PNG" $PY -c "import sys; d = open('sw/$f.png', 'rb').read(); sys.exit(not d.startswith(b'\x89PNG'))"
  check "$f.svg is a non-empty SVG" grep -q '</svg>' sw/$f.svg
  check "report.html shows $f.png" grep -q "<img src=\"$f.png\"" sw/report.html
  check "report.html links $f.svg" grep -q "href=\"$f.svg\"" sw/report.html
  check "report.md shows $f.png" grep -q "($f.png)" sw/report.md
  check "report.md links $f.svg" grep -q "($f.svg)" sw/report.md
done
check "report.md: summary, runs table, Pareto set" $PY -c "
md = open('sw/report.md').read()
for s in ['## Summary', '## Runs', '## Pareto set', '## Figures', '- 9 runs: 6 train, 3 io-bench; 5 measured, 4 projected',
          '| id | variant | backend | ranks | instance | spot | label | figure label | auc | time | cost | epochs | stop reason | Pareto | basis |',
          '| id | variant | backend | ranks | instance | label | figure label | auc | time | cost |']:
    assert s in md, s
rows = [l for l in md.split('## Pareto set')[0].splitlines() if l.startswith('| p0') or l.startswith('| io-')]
assert len(rows) == 9, rows
pareto = [l.split(' | ')[-2] for l in rows]
assert 'yes' in pareto and 'no' in pareto, rows
assert '| p0004@c5.xlarge | mlp | local | 1 | c5.xlarge | on-demand | projected |' in md
"
# measured here, priced there: the host the times come from, the instance the prices do
check "report.md: where runs were measured and what they are priced as" $PY -c "
import json, re
md = open('sw/report.md').read()
host = json.loads(open('sw/points/p0002/result.json').read())['provenance']['host']
assert re.search(r'- Measured here, priced there: times were measured on host [^\\n]*; prices are those of the '
                 r'instance type each run is priced as \\(c5.4xlarge\\), not of that host', md), md
rows = {l.split(' | ')[0][2:]: l for l in md.split('## Pareto set')[0].splitlines() if l.startswith('| ')}
assert rows['p0002'].endswith('| measured on %s (%d cores, 2 x %d threads), priced as c5.4xlarge |'
                              % (host['cpu'], host['cores'], host['threads_per_rank'])), rows['p0002']
assert rows['p0004@c5.xlarge'].endswith(', priced as c5.xlarge |') and '| projected (an Amdahl fit' in rows['p0004@c5.xlarge']
assert rows['io-s3'].endswith('| projected (the storage model, virtual clock), priced as c5.4xlarge |'), rows['io-s3']
h = open('sw/report.html').read()
assert '<th>basis</th>' in h and 'Measured here, priced there: times were measured on host ' in h
"
check "report.html is self-contained: inline CSS, no network, no script" $PY -c "
h = open('sw/report.html').read()
assert '<style>' in h and '<link' not in h and '<script' not in h
assert 'http://' not in h and 'https://' not in h
import re
assert sorted(re.findall(r'<img src=\"([^\"]+)\"', h)) == sorted(f + '.png' for f in '$figures'.split())
"
check "no temporary file left in the sweep" test -z "$(find sw -name '*.tmp.*')"
# figures name runs by what sets them apart, never by point id
for f in learning-curves metric-vs-cost speedup cost-vs-ranks; do
  check "$f.svg names no point id" bash -c "! grep -q 'p000' sw/$f.svg"
done
for l in 'baseline, local, 1 rank' 'mlp, local, 2 ranks' 'mlp, s3, 1 rank' 'mlp, local @c5.xlarge'; do
  check "metric-vs-cost.svg labels a point '$l'" grep -q "<text>$l</text>" sw/metric-vs-cost.svg
done
# and the tables give each run's label beside its id, in the "figure label" column
check "report.md and report.html give the figures' labels" $PY -c "
md, h = open('sw/report.md').read(), open('sw/report.html').read()
assert '| p0004@c5.xlarge | mlp | local | 1 | c5.xlarge | on-demand | projected | mlp, local @c5.xlarge |' in md, md
assert '<td>projected</td><td>mlp, local @c5.xlarge</td>' in h
assert 'the tables give each run' in md and 'figure label' in md.split('## Figures')[1]
"

# Render the page headless with Debian's chromium: a copy of report.html next to it (same
# relative image paths) gets a script that, after the load event, writes which <img>
# loaded with naturalWidth 0 and which linked SVG fails to decode; --dump-dom prints the
# DOM once the virtual time budget has let everything load.
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
render_check() {   # render_check DIR: prints "IMG n BROKEN k [...] SVG n BROKEN k [...]"
  local dir=$1
  $PY - "$dir" <<'EOF'
import sys
d = sys.argv[1]
js = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; })
                .map(function (i) { return i.getAttribute('src'); });
  var svgs = Array.prototype.slice.call(document.querySelectorAll('a[href$=".svg"]'))
                 .map(function (a) { return a.getAttribute('href'); })
                 .filter(function (h, k, all) { return all.indexOf(h) === k; });
  var svgBad = [], pending = svgs.length;
  function report() {
    var out = document.createElement('pre');
    out.id = 'imgcheck';
    out.textContent = 'IMG ' + imgs.length + ' BROKEN ' + bad.length + ' [' + bad.join(' ') + '] SVG ' +
                      svgs.length + ' BROKEN ' + svgBad.length + ' [' + svgBad.join(' ') + ']';
    document.body.appendChild(out);
  }
  if (pending === 0) report();
  svgs.forEach(function (h) {
    var im = new Image();
    im.onload = function () { if (im.naturalWidth === 0) svgBad.push(h); if (--pending === 0) report(); };
    im.onerror = function () { svgBad.push(h); if (--pending === 0) report(); };
    im.src = h;
  });
});
</script>
"""
page = open(d + "/report.html").read()
assert "</body>" in page
open(d + "/check.html", "w").write(page.replace("</body>", js + "</body>"))
EOF
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$WORK/chromium-profile" --virtual-time-budget=10000 --dump-dom \
    "file://$(cd "$dir" && pwd)/check.html" 2>>"$WORK/chromium.log" |
    sed -n 's:.*<pre id="imgcheck">\(.*\)</pre>.*:\1:p'
  rm -f "$dir/check.html"
}
if [[ -z $CHROMIUM ]]; then
  fail "chromium is not installed (scripts/install-deps installs it): report.html not rendered"
else
  seen=$(render_check sw)
  check "chromium renders report.html with all 5 images and 5 SVGs ('$seen')" test "$seen" = "IMG 5 BROKEN 0 [] SVG 5 BROKEN 0 []"
  # the check itself catches a missing image and a corrupt SVG
  cp -r sw broken
  rm broken/speedup.png
  echo '<svg' > broken/storage.svg
  seen=$(render_check broken)
  check "a missing image is caught ('$seen')" test "$seen" = "IMG 5 BROKEN 1 [speedup.png] SVG 5 BROKEN 1 [storage.svg]"
fi

# --out elsewhere, --metric
expect_ok "$BIN" report sw --out elsewhere/rep --metric accuracy
check "--out: the pages and all figures in the other directory" bash -c "
  for f in $figures; do test -s elsewhere/rep/\$f.png -a -s elsewhere/rep/\$f.svg || exit 1; done
  grep -q '| accuracy |' elsewhere/rep/report.md && test -s elsewhere/rep/report.html"

# a sweep directory named like a gnuplot pipe (set output '|cmd' runs /bin/sh) and a
# variant with quotes: the report is written there and no shell runs the name
pipe='|touch PWNED;x'
mkdir -p "$pipe" && cp -r sw/points "$pipe"/
check "a sweep with a quoted variant" $PY - "$pipe" <<'EOF'
import json, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open("sw/results.jsonl")]
for r in lines:
    if r["point"]["variant"] == "mlp":
        r["point"]["variant"] = "it's \"mlp\" ''"
open(d + "/results.jsonl", "w").write("".join(json.dumps(r) + "\n" for r in lines))
EOF
expect_ok "$BIN" report "$pipe"
check "no shell ran the directory's name" test -z "$(find . -name PWNED)"
check "the report is written into '$pipe'" bash -c "test -s '$pipe/report.html' -a -s '$pipe/learning-curves.png' -a -s '$pipe/storage.svg'"
check "the quoted variant is in the report" grep -q "it&#39;s &quot;mlp&quot; &#39;&#39;" "$pipe/report.html"

# user text with HTML in it (a variant, an id, a backend) never reaches a page raw: markdown
# renderers pass HTML through
tag='<img src=x onerror=alert(1)>'
mkdir -p html && cp -r sw/points html/
check "a sweep with HTML in its names" $PY - "$tag" <<'EOF'
import json, sys
tag = sys.argv[1]
lines = [json.loads(l) for l in open("sw/results.jsonl")]
for r in lines:
    if r["point"]["variant"] == "mlp":
        r["point"]["variant"] = tag
    if r["point"]["id"] == "io-efs":
        r["point"]["id"] = tag
        r["backend"] = tag
open("html/results.jsonl", "w").write("".join(json.dumps(r) + "\n" for r in lines))
EOF
expect_ok "$BIN" report html
check "report.md holds no HTML tag" bash -c "! grep -q '<img' html/report.md"
check "report.md shows the variant escaped" grep -q '| &lt;img src=x onerror=alert(1)&gt; |' html/report.md
check "report.html holds no tag of the user's" bash -c "! grep -q '<img src=x' html/report.html"
check "report.html shows the variant escaped" grep -q '<td>&lt;img src=x onerror=alert(1)&gt;</td>' html/report.html

# figures without data are left out, and the report says why (no broken image)
mkdir -p one && cp -r sw/points one/
check "a sweep of 1-rank local runs" $PY points.py one p0001,p0003
expect_ok "$BIN" report one
left_out_with_reason() {
  test ! -e one/speedup.png -a ! -e one/cost-vs-ranks.svg -a ! -e one/storage.png -a -s one/metric-vs-cost.png &&
    grep -q 'every train run used 1 rank' one/report.md &&
    grep -q "every run read from 'local': nothing to compare" one/report.md &&
    ! grep -q 'speedup.png' one/report.html
}
check "no speedup, cost-vs-ranks or storage figure, with the reason" left_out_with_reason
if [[ -n $CHROMIUM ]]; then
  seen=$(render_check one)
  check "chromium: the smaller report has its 2 images ('$seen')" test "$seen" = "IMG 2 BROKEN 0 [] SVG 2 BROKEN 0 []"
fi

# errors: one line, exit 2 for bad input, 1 for gnuplot; no report left half-written
expect_error 2 'nope/results.jsonl: cannot open' "$BIN" report nope
mkdir -p bad && cp sw/results.jsonl bad/ && echo '{"point": {"id": "x"}, "cost":' >> bad/results.jsonl
expect_error 2 'bad/results.jsonl:10: not valid JSON' "$BIN" report bad
check "no report for malformed input" test ! -e bad/report.html -a ! -e bad/learning-curves.png
mkdir -p badh/points && cp sw/results.jsonl badh/ && cp -r sw/points/* badh/points/
printf 'epoch,train_loss,val_loss\n1,0.5,x\n' > badh/points/p0003/history.csv
expect_error 2 'badh/points/p0003/history.csv:2: expected numbers' "$BIN" report badh
expect_error 2 'report: --metric r2: no run in sw reports it' "$BIN" report sw --metric r2 --out r2
expect_error 2 'report: expected one sweep directory' "$BIN" report
expect_error 2 "report: unknown option '--bogus'" "$BIN" report sw --bogus
expect_error 1 "report: cannot run gnuplot \('/no/such/gnuplot'\): No such file" \
  env TRADEOFF_GNUPLOT=/no/such/gnuplot "$BIN" report sw --out nognuplot
check "gnuplot missing: nothing written" test -z "$(ls -A nognuplot 2>/dev/null)"
printf '#!/bin/sh\ncat >/dev/null\necho "line 7: unknown or ambiguous terminal type" >&2\nexit 1\n' > failing-gnuplot
chmod +x failing-gnuplot
cp sw/report.html before.html
expect_error 1 'gnuplot failed drawing learning-curves.png \(exit 1\): line 7: unknown or ambiguous terminal type' \
  env TRADEOFF_GNUPLOT=$PWD/failing-gnuplot "$BIN" report sw
check "gnuplot failing: the previous report is untouched" cmp -s before.html sw/report.html

out=$("$BIN" report --help)
check "report --help" grep -q '^usage: tradeoff report DIR' <<< "$out"
check "tradeoff --help lists report" bash -c "'$BIN' --help | grep -q '^  report DIR'"
finish
