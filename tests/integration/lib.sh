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

# check DESCRIPTION CMD...: a condition that must hold.
check() {
  local what=$1
  shift
  if "$@"; then ok; else fail "$what"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
