# make install and the pricing catalog from anywhere (issue 12): a DESTDIR install of the
# build tree, then the installed binary run from another directory with a job that names
# no catalog finds PREFIX/share/tradeoff/pricing.ini; $TRADEOFF_PRICING comes first, and a
# wrong one is exit 2 naming it; the installed example configs train as they are.
source "$(dirname "$0")/lib.sh"

expect_ok env DESTDIR="$WORK/inst" cmake --install "$(dirname "$BIN")" --prefix /opt/tr
TR=$WORK/inst/opt/tr/bin/tradeoff
check "installed: the binary, the catalog, the configs, the README" test -x "$TR" -a \
  -f inst/opt/tr/share/tradeoff/pricing.ini -a -f inst/opt/tr/share/tradeoff/configs/demo.ini -a \
  -f inst/opt/tr/share/doc/tradeoff/README.md
mkdir elsewhere && cd elsewhere
"$TR" gen --task classification --rows 500 --features 4 --out d.h5 2>/dev/null
printf '[data]\ntrain = d.h5\n[optimizer]\nepochs = 2\n' > job.ini
expect_ok "$TR" train job.ini --out r --quiet
check "a job without cost.pricing finds the installed catalog" $PY -c "
import json; p = json.load(open('r/result.json'))['provenance']['job']['cost']['pricing']
assert p.endswith('/opt/tr/bin/../share/tradeoff/pricing.ini'), p
"
cp "$SRC/configs/pricing.ini" mine.ini
expect_ok env TRADEOFF_PRICING=mine.ini "$TR" train job.ini --out r2 --quiet
check "\$TRADEOFF_PRICING comes first" $PY -c "
import json; assert json.load(open('r2/result.json'))['provenance']['job']['cost']['pricing'] == 'mine.ini'
"
expect_error 2 'cost.pricing: \$TRADEOFF_PRICING names /no/catalog.ini, which cannot be read' env TRADEOFF_PRICING=/no/catalog.ini "$TR" train job.ini --out r3
cp d.h5 data.h5 && mkdir -p data && mv data.h5 data/demo.h5
expect_ok "$TR" train "$WORK/inst/opt/tr/share/tradeoff/configs/demo.ini" --out demo --quiet --set optimizer.epochs=2
cd "$WORK"
finish
