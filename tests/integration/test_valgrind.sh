# Leaks (issue 7): valgrind's memcheck on whole CLI runs (training in memory and
# streamed through emulated storage, with checkpoints; io-bench; a sweep's recommend)
# reports no definite, indirect or possible leak outside Open MPI's own start-up
# (tests/valgrind.supp) and no invalid access.
source "$(dirname "$0")/lib.sh"
export HWLOC_COMPONENTS=-x86  # its CPUID probing cannot run under valgrind (and says so)
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect,possible
    --show-leak-kinds=definite,indirect,possible --num-callers=40 --error-exitcode=3
    --suppressions="$SRC/tests/valgrind.supp")
"$BIN" gen --task classification --rows 2000 --features 8 --seed 1 --compress 0 --out v.h5 2>/dev/null
printf '[data]\ntrain = v.h5\n[model]\ntype = mlp\nhidden = 8\n[optimizer]\nepochs = 2\n[cost]\npricing = %s\n' \
  "$SRC/configs/pricing.ini" > v.ini
expect_ok "${VG[@]}" "$BIN" train v.ini --out mem --quiet
expect_ok "${VG[@]}" "$BIN" train v.ini --out mem --quiet --resume
expect_ok "${VG[@]}" "$BIN" train v.ini --out s3 --quiet --set storage.backend=fsx --set storage.read_threads=2
printf '[data]\ntrain = v.h5\n[storage]\nbackend = s3\n[workload]\nbatch_size = 100\n[cost]\npricing = %s\n' \
  "$SRC/configs/pricing.ini" > io.ini
expect_ok "${VG[@]}" "$BIN" io-bench io.ini --quiet --clock virtual --out io
expect_ok "${VG[@]}" "$BIN" predict --model mem/model.h5 --data v.h5 --out p.csv
expect_error 2 'v.ini:[0-9]+|storage' "${VG[@]}" "$BIN" train v.ini --quiet --set storage.backend=tape
finish
