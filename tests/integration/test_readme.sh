# Every README example runs as written (issue 12): each ```sh block of README.md, in order,
# in a fresh directory holding the tree's configs/ and scripts/ as a clone has them, with
# build/tradeoff and `tradeoff` on PATH being the binary under test. A block preceded by
# "<!-- readme-test: skip (why) -->" is not run (make demo/test themselves, a cluster,
# an install). Each block must exit 0; its output is kept in block-N.log.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

mkdir clone && cp -r "$SRC/configs" "$SRC/scripts" clone/ && mkdir clone/build clone/bin
ln -s "$BIN" clone/build/tradeoff
ln -s "$BIN" clone/bin/tradeoff
$PY - "$SRC/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split('\n')
blocks, skip, inside, cur = [], None, False, []
for i, line in enumerate(text):
    if not inside:
        m = re.match(r'<!-- readme-test: skip \((.*)\) -->', line)
        if m: skip = m.group(1); continue
        if line.strip() == '```sh':
            inside, cur, start = True, [], i + 1
            continue
        if line.strip(): skip = None if not line.startswith('<!--') else skip
    elif line.strip() == '```':
        inside = False
        blocks.append((start, skip, '\n'.join(cur)))
        skip = None
    else:
        cur.append(line)
for k, (line, why, body) in enumerate(blocks, 1):
    with open(f'block-{k}.sh', 'w') as f:
        f.write(f'# README.md line {line}' + (f' (skipped: {why})' if why else '') + '\nset -e\n' + body + '\n')
    open(f'block-{k}.skip', 'w').write(why or '') if why else None
print(len(blocks))
PY
ran=0
for b in block-*.sh; do
  k=${b#block-}; k=${k%.sh}
  [[ -f block-$k.skip ]] && continue
  (cd clone && PATH="$PWD/bin:$PATH" bash "../$b") > "block-$k.log" 2>&1
  rc=$?
  check "README block $k ($(head -1 "$b" | sed 's/^# //')) exits 0 (exit $rc; see below)" test $rc -eq 0
  [[ $rc -ne 0 ]] && tail -5 "block-$k.log" >&2
  ran=$((ran + 1))
done
check "README blocks were run ($ran)" test $ran -ge 3
check "the scaling study and the sweep left their outputs" test -f clone/runs/scaling-demo/scaling.json -a -f clone/runs/baseline-vs-mlp/report.html
finish
