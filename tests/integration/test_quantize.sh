# `tradeoff quantize` end to end: train a small mlp, make its int8 (and, where the CPU
# has it, bf16) variant, read the JSON with Python, predict on the variant and compare
# with fp32's predictions, and refuse what is wrong with exit 2: a corrupt or
# mismatched variant, a job that is not the model's, an existing --out, bf16 when
# oneDNN may not use the CPU's bf16 instructions.
source "$(dirname "$0")/lib.sh"

"$BIN" gen --task classification --rows 3000 --features 16 --classes 3 --informative 8 --seed 4 --out d.h5 2>/dev/null
cat > j.ini <<EOF2
[data]
train = d.h5
test_fraction = 0.25
val_fraction = 0.1
seed = 2
[model]
type = mlp
hidden = 32,16
[optimizer]
lr = 0.01
batch_size = 64
epochs = 8
[checkpoint]
every_epochs = 0
EOF2
expect_ok "$BIN" train j.ini --out run --quiet
expect_ok "$BIN" quantize run/model.h5 --precision int8 --out m8.h5 --requests 50 --calibration-rows 500
check "m8.json: both precisions, sizes, timings, test metrics, agreement" $PY -c "
import json; r = json.load(open('m8.json'))
assert r['calibration_rows'] == 500 and 740 <= r['test_rows'] <= 760 and r['task'] == 'multiclass', r
f32, q = r['precisions']
assert (f32['precision'], q['precision']) == ('fp32', 'int8'), r
assert q['param_bytes'] < 0.4 * f32['param_bytes'] and q['file_bytes'] < f32['file_bytes'], (q, f32)
for e in (f32, q):
    assert e['latency_batch1']['requests'] == 50 and 0 < e['latency_batch1']['p50_ms'] <= e['latency_batch1']['p99_ms']
    assert e['throughput']['batch'] == 256 and e['throughput']['rows_per_s'] > 0
    assert 0 < e['test']['accuracy'] <= 1 and e['test']['log_loss'] > 0
assert abs(q['test_change']['accuracy_points'] - 100 * (q['test']['accuracy'] - f32['test']['accuracy'])) < 1e-9
assert q['vs_fp32']['argmax_agreement'] >= 0.95 and q['vs_fp32']['mean_abs_prob_diff'] < 0.02, q['vs_fp32']
assert q['vs_fp32_speed']['throughput_ratio'] > 0 and r['reference_fp32_onednn']['throughput']['rows_per_s'] > 0
"
check "h5py reads the variant: precision, int8 weights, per-channel scales" $PY -c "
import h5py, numpy as np; f = h5py.File('m8.h5', 'r')
p = f.attrs['precision']; p = p.decode() if isinstance(p, bytes) else p
assert p == 'int8' and 'layers' not in f, list(f)
w, s = f['quant/0/W'], f['quant/0/w_scale']
assert w.dtype == np.int8 and w.shape == (16, 32) and s.shape == (32,) and (s[:] > 0).all()
assert np.abs(w[:]).max(axis=0).max() == 127   # each channel's largest weight maps to 127
assert f['quant/input_scales'].shape == (3,)
"
# predict on the variant, end to end, against fp32's predictions of the same rows
expect_ok "$BIN" predict --model run/model.h5 --data d.h5 --out p32.csv
expect_ok "$BIN" predict --model m8.h5 --data d.h5 --out p8.csv
check "int8 predictions within tolerance of fp32's" $PY -c "
import csv
a = list(csv.DictReader(open('p32.csv'))); b = list(csv.DictReader(open('p8.csv')))
assert len(a) == len(b) == 3000 and list(a[0]) == list(b[0]), (len(a), len(b))
agree = sum(x['pred'] == y['pred'] for x, y in zip(a, b)) / len(a)
gap = max(abs(float(x[k]) - float(y[k])) for x, y in zip(a, b) for k in x if k.startswith('prob_'))
assert agree >= 0.95 and gap < 0.5, (agree, gap)
assert any(x != y for x, y in zip(a, b))   # really another kernel, not fp32 again
"
# the job stored in the model and an explicit JOB.ini give the same calibration
expect_ok "$BIN" quantize run/model.h5 j.ini --precision int8 --out m8b.h5 --json m8b.report.json --requests 20 --calibration-rows 500
check "same variant from the stored job and from j.ini" $PY -c "
import h5py, numpy as np
a, b = h5py.File('m8.h5', 'r'), h5py.File('m8b.h5', 'r')
assert np.array_equal(a['quant/input_scales'][:], b['quant/input_scales'][:])
assert np.array_equal(a['quant/1/W'][:], b['quant/1/W'][:])
"
check "--json names the report" test -f m8b.report.json

# refused: exit 2, one line, nothing half-written
expect_error 2 'm8.h5: exists \(use --force' "$BIN" quantize run/model.h5 --precision int8 --out m8.h5
expect_error 2 'model.h5: is MODEL.h5 itself' "$BIN" quantize run/model.h5 --precision int8 --out ./run/model.h5 --force
expect_error 2 'm8.h5: is already int8' "$BIN" quantize m8.h5 --precision int8 --out m8c.h5
expect_error 2 "precision: 'int4' is not int8 or bf16" "$BIN" quantize run/model.h5 --precision int4 --out x.h5
expect_error 2 'precision int8\|bf16 is required' "$BIN" quantize run/model.h5 --out x.h5
expect_error 2 'calibration-rows' "$BIN" quantize run/model.h5 --precision int8 --out x.h5 --calibration-rows 0
"$BIN" gen --task classification --rows 500 --features 9 --seed 1 --out other.h5 2>/dev/null
sed 's/^train = d.h5/train = other.h5/' j.ini > other.ini
expect_error 2 "other.ini's data has 9 features, the model 16" "$BIN" quantize run/model.h5 other.ini --precision int8 --out x.h5
sed 's/^seed = 2/seed = 3/' j.ini > reseeded.ini
expect_error 2 'standardizes feature 1 with mean' "$BIN" quantize run/model.h5 reseeded.ini --precision int8 --out x.h5
check "no output from refused runs" test ! -e x.h5 -a ! -e x.json -a ! -e m8c.h5
# corrupt or mismatched variants: predict exits 2 naming the file
head -c 3000 m8.h5 > trunc.h5
expect_error 2 'trunc.h5' "$BIN" predict --model trunc.h5 --data d.h5
$PY - <<'EOF2'
import h5py, numpy as np, shutil
def edit(name, fn):
    shutil.copy('m8.h5', name)
    with h5py.File(name, 'r+') as f:
        fn(f)
def swap_w(f):
    del f['quant/1/W']; f['quant/1/W'] = np.zeros((16, 32), np.int8)
def wide(f):
    f.attrs['hidden'] = np.array([33, 16], np.int64)
def bad_prec(f):
    f.attrs['precision'] = 'int3'
def neg_scale(f):
    f['quant/0/w_scale'][0] = -1.0
edit('swapped.h5', swap_w); edit('wide.h5', wide); edit('prec.h5', bad_prec); edit('neg.h5', neg_scale)
EOF2
expect_error 2 "swapped.h5: 'quant/1/W' is missing or not int8 32 x 16" "$BIN" predict --model swapped.h5 --data d.h5
expect_error 2 "wide.h5: 'quant/0/W' is missing or not int8 16 x 33" "$BIN" predict --model wide.h5 --data d.h5
expect_error 2 'prec.h5: model precision "int3"' "$BIN" predict --model prec.h5 --data d.h5
expect_error 2 "neg.h5: 'quant/0/w_scale' is missing, not 32 values or not positive" "$BIN" predict --model neg.h5 --data d.h5

# bf16: real where the CPU and oneDNN have it, refused (exit 2) where oneDNN may not use it
if grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo; then
  expect_ok "$BIN" quantize run/model.h5 --precision bf16 --out m16.h5 --requests 20
  check "bf16 variant: half the bytes, predictions agree" $PY -c "
import json; r = json.load(open('m16.json')); f32, q = r['precisions']
assert q['precision'] == 'bf16' and f32['param_bytes'] / 2 < q['param_bytes'] < 0.6 * f32['param_bytes'], (q, f32)
assert q['vs_fp32']['argmax_agreement'] >= 0.98, q
"
  expect_ok "$BIN" predict --model m16.h5 --data d.h5 --out p16.csv
fi
DNNL_MAX_CPU_ISA=AVX512_CORE_VNNI expect_error 2 'bf16: oneDNN dispatches to avx512_core_vnni' \
  "$BIN" quantize run/model.h5 --precision bf16 --out y.h5
check "no bf16 output when refused" test ! -e y.h5
finish
