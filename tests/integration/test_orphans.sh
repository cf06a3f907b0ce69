# A sweep's children die with it (issue 17): after `kill -9` of a running sweep, its train
# child gets SIGTERM, checkpoints and stops within seconds instead of running on, and a
# restarted sweep resumes the point from that checkpoint: with runner = process (one
# trainer per point) and with the default runner, a `tradeoff worker` (its job
# checkpoints, the worker ends, the restart's worker resumes the point).
source "$(dirname "$0")/lib.sh"

"$BIN" gen --task classification --rows 20000 --features 32 --seed 5 --out d.h5 2>/dev/null
cat > job.ini <<EOF2
[data]
train = d.h5
[model]
type = mlp
hidden = 256,128
[optimizer]
epochs = 400
batch_size = 128
[early_stopping]
enabled = false
[checkpoint]
every_epochs = 1000
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
printf '[sweep]\njob = job.ini\nrunner = process\n[grid]\noptimizer.lr = 0.001\n' > long.ini
# start_sweep LOG: runs the sweep in the background; $spid is the sweep, $child its train
start_sweep() {
  "$BIN" sweep long.ini --out long 2> "$1" &
  spid=$!
  child=
  for _ in $(seq 100); do
    child=$(pgrep -P $spid -f 'tradeoff train' | head -1)
    [[ -n $child ]] && break
    sleep 0.1
  done
}
start_sweep sweep.err
check "the sweep started its train child" test -n "$child"
# training has begun once the run made its checkpoint directory (slow under ASan and load)
for _ in $(seq 300); do compgen -G 'long/points/p0001-*/checkpoint' >/dev/null && break; sleep 0.1; done
sleep 1
kill -KILL $spid
wait $spid 2>/dev/null
gone=0
for _ in $(seq 40); do
  kill -0 "$child" 2>/dev/null || { gone=1; break; }
  sleep 0.1
done
check "the orphaned child stopped within 4 s of the sweep's kill -9" test $gone -eq 1
check "it checkpointed on its way out" bash -c 'test -f long/points/p0001-*/checkpoint/checkpoint.h5'
check "and recorded the interruption" $PY -c "
import json; r = json.load(open(__import__('glob').glob('long/points/p0001-*/result.json')[0])); assert r['stop_reason'] == 'interrupted', r['stop_reason']
"
# the restarted sweep resumes the point from that checkpoint
start_sweep restart.err
check "a restarted sweep resumes the point from its checkpoint" bash -c "tr '\\0' ' ' < /proc/$child/cmdline | grep -q -- '--resume'"
kill -KILL $spid
wait $spid 2>/dev/null
for _ in $(seq 40); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done

# the same through the sweep's worker
printf '[sweep]\njob = job.ini\n[grid]\noptimizer.lr = 0.002\n' > wlong.ini
"$BIN" sweep wlong.ini --out wlong 2> wsweep.err &
spid=$!
worker=
for _ in $(seq 100); do
  worker=$(pgrep -P $spid -f 'tradeoff worker' | head -1)
  [[ -n $worker ]] && break
  sleep 0.1
done
check "the sweep started its worker" test -n "$worker"
for _ in $(seq 300); do compgen -G 'wlong/points/p0001-*/checkpoint' >/dev/null && break; sleep 0.1; done
sleep 1
kill -KILL $spid
wait $spid 2>/dev/null
gone=0
for _ in $(seq 40); do
  kill -0 "$worker" 2>/dev/null || { gone=1; break; }
  sleep 0.1
done
check "the orphaned worker stopped within 4 s of the sweep's kill -9" test $gone -eq 1
check "its job checkpointed and recorded the interruption" $PY -c "
import glob, json
assert glob.glob('wlong/points/p0001-*/checkpoint/checkpoint.h5')
r = json.load(open(glob.glob('wlong/points/p0001-*/result.json')[0])); assert r['stop_reason'] == 'interrupted', r['stop_reason']"
"$BIN" sweep wlong.ini --out wlong 2> wrestart.err &
spid=$!
for _ in $(seq 100); do grep -q "(resuming)" wrestart.err && break; sleep 0.1; done
check "a restarted sweep resumes the point from its checkpoint in a new worker" grep -q "p0001 .*(resuming)" wrestart.err
worker=$(pgrep -P $spid -f 'tradeoff worker' | head -1)
kill -KILL $spid
wait $spid 2>/dev/null
for _ in $(seq 40); do [[ -z $worker ]] || kill -0 "$worker" 2>/dev/null || break; sleep 0.1; done
finish
