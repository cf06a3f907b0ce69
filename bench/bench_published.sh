#!/usr/bin/env bash
# Issue 13, part 3: every storage model against published measurements of real training
# reads. Each row runs one io-bench job of bench/published/ on the VIRTUAL clock with the
# documented defaults (configs/storage.ini), so it takes seconds and does not depend on
# this machine's load; the "before" column sets the keys of the pre-issue-13 defaults
# where keys can express them (s3.first_byte_ms 30, s3.mb_per_s_per_connection 90,
# efs.read_meter 1, fsx.import_connections 10 for the client's 10-connection pool).
# Prints the markdown table of bench/BENCHMARKS.md; OUT (default /tmp/bench-published)
# keeps every io.json.
#   bash bench/bench_published.sh [BUILD_DIR] [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
out=${2:-/tmp/bench-published}
bin=$build/tradeoff
jobs=$here/published
mkdir -p "$out"
old=(--set storage.s3.first_byte_ms=30 --set storage.s3.mb_per_s_per_connection=90
     --set storage.efs.read_meter=1 --set storage.fsx.import_connections=10)

# id | job | --set assignments (space-separated) | metric | published | unit | workload | source
rows=(
  "ffm-jpeg|sm-jpeg|storage.backend=s3|train_throughput_samples_per_second|165.83|images/s|ResNet-50 on 1.53 M JPEGs of 39 KB, SageMaker FastFile mode (a GET per file), 8 readers, ml.p3.2xlarge|sagemaker-bencher"
  "fsx-jpeg|sm-jpeg|storage.backend=fsx storage.fsx.preload=true|train_throughput_samples_per_second|328.38|images/s|the same on FSx for Lustre, the data loaded on it (3 runs on one file system)|sagemaker-bencher"
  "ffm-tfr|sm-tfrecord|storage.backend=s3|train_throughput_samples_per_second|325.79|images/s|the same images in 110 MB TFRecord shards, FastFile mode|sagemaker-bencher"
  "fsx-tfr|sm-tfrecord|storage.backend=fsx|train_throughput_samples_per_second|326.28|images/s|TFRecord shards on FSx for Lustre|sagemaker-bencher"
  "s3-10|s3-streams||train_io_mean_MB_per_second|875|MB/s|10 connections of 8 MiB ranged GETs on large objects (AWS: one request per 85-90 MB/s)|s3-guide"
  "efs-burst|efs-bursting||train_io_mean_MB_per_second|314.57|MB/s|EFS bursting, 100 GiB stored, with credits: 100 MiB/s metered, reads at one third = 300 MiB/s|efs-perf"
  "efs-base|efs-bursting|storage.efs.burst_credits_gib=0|train_io_mean_MB_per_second|15.73|MB/s|the same without credits: baseline 5 MiB/s metered = 15 MiB/s of reads|efs-perf"
  "efs-prov|efs-bursting|storage.efs.mode=provisioned storage.efs.provisioned_mib_s=1 storage.efs.stored_gib=1024|train_io_mean_MB_per_second|157.29|MB/s|EFS provisioned at 1 MiB/s on 1 TiB stored: the storage's baseline of 50 MiB/s is higher and permitted, reads at one third = 150 MiB/s|efs-metrics"
)
run() { # id job set suffix extra...
  local id=$1 job=$2 set=$3 suffix=$4; shift 4
  local args=(io-bench "$jobs/$job.ini" --quiet --clock virtual --out "$out/$id$suffix")
  for a in $set; do args+=(--set "$a"); done  # space-separated assignments
  "$bin" "${args[@]}" "$@"
}
for r in "${rows[@]}"; do
  IFS='|' read -r id job set metric pub unit what src <<< "$r"
  run "$id" "$job" "$set" "" >&2
  run "$id" "$job" "$set" "-before" "${old[@]}" >&2
done
printf '%s\n' "${rows[@]}" | python3 -c "
import json, sys
src = {'sagemaker-bencher': '[SageMaker blog](https://aws.amazon.com/blogs/machine-learning/choose-the-best-data-source-for-your-amazon-sagemaker-training-job/), [figures](https://github.com/aws-samples/sagemaker-bencher/blob/main/result_analysis/analyze-and-plot-benchmarks.ipynb)',
       's3-guide': '[S3 design patterns](https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-design-patterns.html)',
       'efs-perf': '[EFS performance](https://docs.aws.amazon.com/efs/latest/ug/performance.html)',
       'efs-metrics': '[EFS PermittedThroughput](https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html)'}
print('| comparison | workload | published | source | before issue 13 (error) | now, virtual clock (error) |')
print('|---|---|---:|---|---:|---:|')
for line in sys.stdin:
    id, job, set_, metric, pub, unit, what, s = line.rstrip('\n').split('|')
    pub = float(pub)
    now = json.load(open('$out/' + id + '/io.json'))[metric]
    before = json.load(open('$out/' + id + '-before/io.json'))[metric]
    e = lambda v: 100.0 * (v - pub) / pub
    print(f'| {id} | {what} | {pub:g} {unit} | {src[s]} | {before:.1f} ({e(before):+.0f}%) | {now:.1f} ({e(now):+.1f}%) |')
"
