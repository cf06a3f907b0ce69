# Interruptions without warning (issue 7): a training run is killed with SIGKILL at 10
# random points (seeded), each time resumed from its last checkpoint; the final model.h5
# is bit-identical to an uninterrupted run's, no resume ever meets a torn checkpoint, and
# no temporary file is left behind. Two runs into one directory: the second stops at once
# naming the first's pid.
source "$(dirname "$0")/lib.sh"

"$BIN" gen --task classification --rows 20000 --features 32 --classes 4 --informative 12 --seed 5 --out d.h5 2>/dev/null
cat > job.ini <<EOF2
[data]
train = d.h5
[model]
type = mlp
hidden = 256,128
[optimizer]
name = adam
lr = 0.002
batch_size = 128
epochs = 150
[early_stopping]
enabled = false
[checkpoint]
every_epochs = 1
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
t0=$EPOCHREALTIME
expect_ok "$BIN" train job.ini --out whole --quiet
whole_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')

RANDOM=7  # the kill points are random but repeatable
kills=0 finished=0 torn=0
while [[ $finished -eq 0 ]]; do
  resume=()
  [[ -f cut/checkpoint/checkpoint.h5 ]] && resume=(--resume)
  "$BIN" train job.ini --out cut --quiet "${resume[@]}" 2> run.err &
  pid=$!
  if [[ $kills -lt 10 ]]; then
    # 1% .. 8% of the uninterrupted run's time: start-up, data loading, mid-epoch and
    # checkpoint writes all get hit, and ten kills never outlast the run, however fast
    # the machine
    sleep "$(awk -v w="$whole_s" -v r=$RANDOM 'BEGIN { printf "%.3f", w * (0.01 + 0.07 * (r % 1000) / 1000) }')"
    if kill -0 $pid 2>/dev/null; then
      kill -KILL $pid
      wait $pid 2>/dev/null
      kills=$((kills + 1))
      continue
    fi
  fi
  wait $pid
  rc=$?
  if [[ $rc -eq 0 ]]; then
    finished=1
  else
    torn=$((torn + 1))
    cat run.err >&2
    break
  fi
done
check "killed 10 times (got $kills)" test $kills -eq 10
check "every resume found a usable checkpoint" test $torn -eq 0
check "resumed model is bit-identical to the uninterrupted one" $PY -c "
import h5py, numpy as np, json
a, b = h5py.File('whole/model.h5', 'r'), h5py.File('cut/model.h5', 'r')
assert all(np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]) for l in a['layers'] for p in ('W', 'b'))
assert json.load(open('cut/result.json'))['epochs_run'] == 150
"
check "no temporary files left" test -z "$(find cut -name '*.tmp.*')"

# two runs into one OUT: the second stops at once naming the first's pid (it never gets
# to remove the first one's temporaries); io-bench into it likewise. The first goes on and
# stops cleanly on SIGTERM; once it is gone OUT is free again.
cat > io.ini <<EOF2
[data]
train = d.h5
[workload]
computation_time = 0
epochs = 1
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
"$BIN" train job.ini --out busy --quiet --set checkpoint.every_epochs=0 2> busy.err &
pid=$!
for _ in $(seq 1000); do [[ -s busy/.lock ]] && break; sleep 0.01; done
check "the first run holds busy/.lock with its pid" bash -c "[[ \$(cat busy/.lock) == $pid ]]"
expect_error 2 "^tradeoff: busy is in use by pid $pid\$" "$BIN" train job.ini --out busy --quiet
expect_error 2 "^tradeoff: busy is in use by pid $pid\$" "$BIN" io-bench io.ini --out busy --quiet
kill -TERM $pid
wait $pid
rc=$?
check "the first run was not disturbed: exit 0 on SIGTERM (got $rc: $(cat busy.err))" test $rc -eq 0
check "and wrote its outputs" test -s busy/result.json -a -s busy/model.h5
expect_ok "$BIN" io-bench io.ini --out busy --quiet
finish
