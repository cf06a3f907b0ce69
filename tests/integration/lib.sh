# Shared helpers for the CLI integration tests. Each test script is run by ctest as
#   bash test_X.sh PATH/TO/tradeoff SOURCE_DIR
# and ends with "N passed, N failed".
set -u
BIN=$1
SRC=$2
PY=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tradeoff-it-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_error CODE REGEX CMD...: CMD exits CODE with exactly one stderr line
# "tradeoff: ..." matching REGEX, and leaves no temporary files behind.
expect_error() {
  local code=$1 regex=$2
  shift 2
  local out
  out=$("$@" 2>&1 >/dev/null)
  local rc=$?
  local lines
  lines=$(printf '%s\n' "$out" | grep -c .)
  if [[ $rc -ne $code ]]; then
    fail "exit $rc (want $code): $* -> $out"
  elif [[ $lines -ne 1 || ! $out =~ ^tradeoff:\  ]]; then
    fail "want one 'tradeoff: ' line: $* -> $out"
  elif ! [[ $out =~ $regex ]]; then
    fail "message '$out' does not match '$regex' ($*)"
  elif [[ -n $(find . -name '*.tmp.*' | head -1) ]]; then
    fail "temporary file left behind: $(find . -name '*.tmp.*') ($*)"
  else
    ok
  fi
}

# expect_ok CMD...: CMD exits 0.
expect_ok() {
  local out
  if out=$("$@" 2>&1); then ok; else fail "exit $?: $* -> $out"; fi
}

# await_term_handler PID: wait (up to 60 s) until process PID catches SIGTERM (bit 15 of
# SigCgt in /proc/PID/status), so a test's SIGTERM tests the handler, not how fast a
# loaded machine starts the process; returns 1 if it never does or the process ended.
await_term_handler() {
  local mask
  for _ in $(seq 6000); do
    mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $mask ]] || return 1
    (((16#$mask >> 14) & 1)) && return 0
    sleep 0.01
  done
  return 1
}

# term_latency PID FILE [PATTERN]: send SIGTERM to PID, wait until FILE exists (and holds
# the grep pattern PATTERN, if given) or PID has ended, then reap PID. Sets term_s to the
# seconds from the signal to FILE, and term_rc to PID's exit code. Timing what the run
# wrote (its result.json, its stderr line) rather than its exit keeps the sanitizer
# build's leak scan at exit, a second or more on a loaded machine, out of the figure.
term_latency() {
  local pid=$1 file=$2 pattern=${3:-} t0=$EPOCHREALTIME t1=
  kill -TERM "$pid"
  for _ in $(seq 6000); do
    if [[ -e $file ]] && { [[ -z $pattern ]] || grep -q -- "$pattern" "$file"; }; then
      t1=$EPOCHREALTIME
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  wait "$pid"
  term_rc=$?
  [[ -n $t1 ]] || t1=$EPOCHREALTIME
  term_s=$($PY -c "print(round($t1 - $t0, 3))")
}

# check DESCRIPTION CMD...: a condition that must hold.
check() {
  local what=$1
  shift
  if "$@"; then ok; else fail "$what"; fi
}

# check_history DIR "M1 M2 ..." [lbfgs]: DIR/history.csv as DESIGN.md specifies, read
# with python3's csv module: the header epoch,train_loss,val_loss,lr,epoch_s,io_wait_s,
# comm_s then train_<m>,val_<m> for each metric m in order, no name twice; one full row per
# epoch run (result.json); every metric finite; lr empty exactly when lbfgs; and the best
# epoch's val_<m> equal to result.json's val (the weights it restored), which puts the
# regression metrics in the target's units.
check_history() {
  check "$1/history.csv: header, rows and metrics ($2${3:+, $3})" $PY - "$1" "$2" "${3:-}" <<'EOF2'
import csv, json, math, sys
run, metrics, lbfgs = sys.argv[1], sys.argv[2].split(), sys.argv[3] == 'lbfgs'
rows = list(csv.reader(open(run + '/history.csv')))
head = rows[0]
want = ['epoch', 'train_loss', 'val_loss', 'lr', 'epoch_s', 'io_wait_s', 'comm_s']
want += [f'{s}_{m}' for m in metrics for s in ('train', 'val')]
assert head == want, (head, want)
assert len(set(head)) == len(head), head
r = json.load(open(run + '/result.json'))
assert len(rows) - 1 == r['epochs_run'], (len(rows), r['epochs_run'])
for row in rows[1:]:
    assert len(row) == len(head), row
    d = dict(zip(head, row))
    assert (d['lr'] == '') == lbfgs, d['lr']
    for m in metrics:
        assert math.isfinite(float(d['train_' + m])) and math.isfinite(float(d['val_' + m])), d
best = dict(zip(head, rows[r['best_epoch']]))
for m in metrics:
    v = r['val'][m]
    assert abs(float(best['val_' + m]) - v) <= 1e-6 * max(1, abs(v)), (m, best, r['val'])
EOF2
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
