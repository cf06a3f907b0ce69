# Bad input on every path: exit 2, one line naming the file and line (or key) and
# what is wrong, no partial output. (DESIGN.md "CLI", issue 2 "Bad input".)
source "$(dirname "$0")/lib.sh"

# usage
expect_error 2 "unknown subcommand 'frobnicate'" "$BIN" frobnicate
expect_error 2 "train: unknown option '--bogus'" "$BIN" train job.ini --bogus
expect_error 2 "gen: option '--rows' needs a value" "$BIN" gen --rows
expect_error 2 "gen: --rows: expected an integer >= 1, got 'ten'" "$BIN" gen --task classification --rows ten --features 3 --out x.h5
expect_error 2 "gen: --task must be classification or regression" "$BIN" gen --task cluster --rows 10 --features 3 --out x.h5
expect_error 2 "gen: --weights has 3 values for 2 classes" "$BIN" gen --task classification --rows 10 --features 3 --weights 1,2,3 --out x.h5
expect_error 2 "import: --out FILE.h5 is required" "$BIN" import a.csv
# numeric flags: finite, in range, digits only (strtoull read " -1" as 2^64 - 1)
expect_error 2 "gen: --weights: expected comma-separated finite non-negative numbers, got 'inf,1'" "$BIN" gen --task classification --rows 10 --features 3 --weights inf,1 --out x.h5
expect_error 2 "gen: --weights: .*got '1e999,1'" "$BIN" gen --task classification --rows 10 --features 3 --weights 1e999,1 --out x.h5
expect_error 2 "gen: weights are too large" "$BIN" gen --task classification --rows 10 --features 3 --weights 1.5e308,1.5e308 --out x.h5
expect_error 2 "gen: --rows: expected an integer >= 1, got ' -1'" "$BIN" gen --task classification --rows " -1" --features 3 --out x.h5
expect_error 2 "gen: --rows: expected an integer >= 1, got '\+5'" "$BIN" gen --task classification --rows +5 --features 3 --out x.h5
expect_error 2 "gen: rows x features is too large" "$BIN" gen --task regression --rows 1099511627776 --features 1073741824 --out x.h5
expect_error 2 "gen: informative features too many" "$BIN" gen --task classification --rows 1 --features 17179869184 --out x.h5
expect_error 2 "gen: --shards: expected an integer in \[1, 100000\], got '100001'" "$BIN" gen --task classification --rows 200000 --features 3 --shards 100001 --out d
# ranges are checked as the value is read, in the one wording
expect_error 2 "gen: --compress: expected an integer in \[0, 9\], got '10'" "$BIN" gen --task classification --rows 10 --features 3 --compress 10 --out x.h5
expect_error 2 "gen: --classes: expected an integer in \[2, 1000\], got '1001'" "$BIN" gen --task classification --rows 10 --features 3 --classes 1001 --out x.h5
expect_error 2 "import: --compress: expected an integer in \[0, 9\], got '12'" "$BIN" import a.csv --out x.h5 --compress 12
expect_error 2 "sweep: --point: expected an integer in \[1, 9223372036854775807\], got '18446744073709551615'" "$BIN" sweep s.ini --point 18446744073709551615
expect_error 2 "recommend: --metric: unknown metric 'acuracy'" "$BIN" recommend runs --metric acuracy --min 0.5
check "no data written by refused gen runs" test ! -e x.h5 -a ! -e d

# a valid data set to point jobs at
"$BIN" gen --task classification --rows 600 --features 5 --seed 3 --out ok.h5 2>/dev/null
printf '[data]\ntrain = ok.h5\n[optimizer]\nepochs = 2\n' > good.ini

# job files
expect_error 2 "missing.ini: cannot open job file" "$BIN" train missing.ini
printf '[data]\ntrain = ok.h5\n[nonsense]\nx = 1\n' > j1.ini
expect_error 2 "j1.ini:4: unknown section \[nonsense\]" "$BIN" train j1.ini
printf '[data]\ntrain = ok.h5\n\n[optimizer]\nlearning_rate = 0.1\n' > j2.ini
expect_error 2 "j2.ini:5: unknown key 'learning_rate' in \[optimizer\]" "$BIN" train j2.ini
printf '[data]\ntrain = ok.h5\n[optimizer]\nepochs = many\n' > j3.ini
expect_error 2 "j3.ini:4: optimizer.epochs: expected an integer, got 'many'" "$BIN" train j3.ini
printf '[data]\ntrain = ok.h5\n[data]\nval_fraction = 1.5\n' > j4.ini
expect_error 2 "j4.ini:4: data.val_fraction: must be in \[0, 0.9\], got 1.5" "$BIN" train j4.ini
printf '[data]\ntrain ok.h5\n' > j5.ini
expect_error 2 "j5.ini:2: syntax error" "$BIN" train j5.ini
expect_error 2 "^tradeoff: optimizer.lr: expected a number, got 'fast'" "$BIN" train good.ini --set optimizer.lr=fast
expect_error 2 "^tradeoff: model.kind: unknown key" "$BIN" train good.ini --set model.kind=mlp
expect_error 2 "cost.instance: unknown instance type 'z9.huge'" "$BIN" train good.ini --set cost.instance=z9.huge --set cost.pricing="$SRC/configs/pricing.ini"
# a fraction of a MiB made a lazy-load chunk count past any size_t: whole MiB, as FSx's
expect_error 2 "^tradeoff: storage.fsx.chunk_mib: expected an integer, got '1e-300'" "$BIN" train good.ini --set storage.fsx.chunk_mib=1e-300

# data files named by a job
run_job() {  # run_job NAME TRAIN_PATH [extra --set...]
  local name=$1 train=$2
  shift 2
  printf '[data]\ntrain = %s\n[optimizer]\nepochs = 2\n[cost]\npricing = %s\n' "$train" "$SRC/configs/pricing.ini" > "$name.ini"
  "$BIN" train "$name.ini" --quiet --out "out-$name" "$@"
}
expect_error 2 "nofile.ini:2: data.train: no such file or directory: absent.h5" run_job nofile absent.h5
echo "not hdf5 at all" > fake.h5
expect_error 2 "fake.h5: .*(not an HDF5|HDF5)" run_job fake fake.h5
$PY - <<'PY'
import h5py, numpy as np
with h5py.File("noX.h5", "w") as f: f["features"] = np.zeros((5, 2), "f4"); f["y"] = np.zeros(5)
with h5py.File("rank3.h5", "w") as f: f["X"] = np.zeros((5, 2, 2), "f4"); f["y"] = np.zeros(5)
with h5py.File("mismatch.h5", "w") as f: f["X"] = np.zeros((5, 2), "f4"); f["y"] = np.zeros(4)
with h5py.File("empty.h5", "w") as f: f["X"] = np.zeros((0, 2), "f4"); f["y"] = np.zeros(0)
x = np.ones((50, 2), "f4"); x[7, 1] = np.nan
with h5py.File("nan.h5", "w") as f: f["X"] = x; f["y"] = np.arange(50) % 2
with h5py.File("real_y.h5", "w") as f: f["X"] = np.random.rand(50, 2).astype("f4"); f["y"] = np.random.rand(50)
with h5py.File("declared.h5", "w") as f:  # 64 GiB declared, nothing written: a few KiB
    f.create_dataset("X", shape=(2**30, 16), dtype="f4", chunks=(1024, 16), compression="gzip")
    f.create_dataset("y", shape=(2**30,), dtype="f8", chunks=(1024,))
PY
expect_error 2 "noX.h5: .*'X'" run_job nox noX.h5
expect_error 2 "rank3.h5: .*(rank|2-D|dimension)" run_job rank3 rank3.h5
expect_error 2 "mismatch.h5: .*(5|4).*(rows|row)" run_job mismatch mismatch.h5
expect_error 2 "empty.h5: .*(empty|no rows|0 rows)" run_job empty empty.h5
expect_error 2 "nan.h5: row 8, feature 2 is NaN" run_job nan nan.h5
# non-finite labels: a NaN test label was encoded as a class and the run exited 0; a NaN
# or Inf target ended it with exit 1 "the training loss became non-finite"
{ echo a,b,label; for i in $(seq 1 40); do echo "$i,$((i % 7)),$((i % 2))"; done; } > labels.csv
sed '4s/,[^,]*$/,nan/' labels.csv > nan_label.csv
expect_error 2 "nan_label.csv:4: row 3, label is missing" run_job nan_label labels.csv --set data.test=nan_label.csv
{ echo a,b,y; for i in $(seq 1 40); do echo "$i,$((i % 7)),$i.5"; done; } | sed '3s/,[^,]*$/,inf/' > inf_target.csv
expect_error 2 "inf_target.csv: row 2, label is Inf" run_job inf_target inf_target.csv --set model.type=linear --set data.label_column=y
expect_error 2 "declared.h5: dataset 'X' declares 1073741824 x 16 values .* truncated or corrupt" run_job declared declared.h5
expect_error 2 "declared.h5: dataset 'X' declares 1073741824 x 16 values" "$BIN" info declared.h5
expect_error 2 "real_y.ini:2: data.train: row 1: label .* is not a whole number: logistic needs class labels" run_job real_y real_y.h5
expect_error 2 "real_y_softmax.ini:2: data.train: row 1: label .* softmax needs class labels" run_job real_y_softmax real_y.h5 --set model.type=softmax
expect_error 2 "^tradeoff: model.type: logistic needs 2 classes; the labels have 3" run_job iris_logistic "$SRC/tests/data/iris.csv"
expect_error 2 "^tradeoff: optimizer.l1: lbfgs does not handle an L1 penalty" run_job lbfgs_l1 ok.h5 --set optimizer.name=lbfgs --set optimizer.l1=0.1
expect_error 2 "^tradeoff: model.dropout: applies to model.type = mlp only" run_job dropout ok.h5 --set model.dropout=0.5
expect_error 2 "^tradeoff: model.init: applies to model.type = mlp only" run_job init ok.h5 --set model.init=sklearn
expect_error 2 "model.init" run_job init_bad ok.h5 --set model.type=mlp --set model.init=xavier
expect_error 2 "^tradeoff: early_stopping.monitor: .val_rmse. does not apply to a classification task" run_job monitor ok.h5 --set early_stopping.monitor=val_rmse
check "no outputs, not even directories, after failed runs" test -z "$(ls -d out-* 2>/dev/null)"

# text formats
printf 'a,b,label\n1,2,0\n3,4\n' > ragged.csv
expect_error 2 "ragged.csv:3: .*2 cells.*3" run_job ragged ragged.csv
printf 'a,b,label\n1,2,0\n3,x,1\n' > nonnum.csv
expect_error 2 "nonnum.csv:3: .*(b|numeric|number)" run_job nonnum nonnum.csv --set data.categorical=none
printf '1 0:1 2:3\n' > zero.libsvm
expect_error 2 "zero.libsvm:1: .*index" run_job zero zero.libsvm
printf '1 1:1 2:3\n0 3:1 2:3\n' > order.libsvm
expect_error 2 "order.libsvm:2: .*(order|increasing)" run_job order order.libsvm
printf '1 1:1 2:abc\n' > value.libsvm
expect_error 2 "value.libsvm:1: .*(numeric|number|value)" run_job value value.libsvm
printf '1 1:1\n0 100000000:1\n1 2:1\n0 1:1\n' > sparse.libsvm
expect_error 2 "sparse.libsvm:2: feature index 100000000 declares a dense 4 x 100000000 matrix .*too sparse" run_job sparse sparse.libsvm
$PY -c "
import gzip
data = gzip.compress(b'a,b,label\n' + b''.join(b'%d,%d,%d\n' % (i, i * 2, i % 2) for i in range(20000)))
open('trunc.csv.gz', 'wb').write(data[: len(data) // 2])
"
expect_error 2 "trunc.csv.gz.*(truncated|unexpected end|corrupt)" run_job trunc trunc.csv.gz

# import leaves nothing behind on bad input
expect_error 2 "ragged.csv:3" "$BIN" import ragged.csv --out ragged.h5
check "no partial import output" test ! -e ragged.h5
# an HDF5 input, in any case of its suffix (the one format detector, as info uses)
cp ok.h5 UPPER.H5
expect_error 2 "UPPER.H5: is already HDF5" "$BIN" import UPPER.H5 --out copy.h5
check "no import of an HDF5 file" test ! -e copy.h5
finish
