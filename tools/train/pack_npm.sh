#!/usr/bin/env bash
# `npm pack` the N most downloaded packages of a local package list into CACHE/tgz, after
# skipping the SKIP most downloaded (a later batch: SKIP = the earlier batches' N).
#   bash tools/train/pack_npm.sh CACHE N [LIST.tsv] [SKIP]
# LIST.tsv: name, version, monthly downloads (tab-separated, with a header line).
set -euo pipefail
CACHE=$1
N=$2
LIST=${3:-/work/.library/env/packages/npm.tsv}
SKIP=${4:-0}
mkdir -p "$CACHE/tgz"
tail -n +2 "$LIST" | sort -t$'\t' -k3,3nr | tail -n +"$((SKIP + 1))" | head -n "$N" | awk -F'\t' '{print $1"@"$2}' > "$CACHE/list.txt"
cd "$CACHE"
split -l 25 list.txt chunk_
for c in chunk_*; do
  # a batch that fails is retried one package at a time, so one bad name costs only itself
  npm pack --pack-destination tgz $(cat "$c") >>pack.log 2>&1 || {
    for s in $(cat "$c"); do npm pack --pack-destination tgz "$s" >>pack.log 2>&1 || echo "FAIL $s" >>fail.log; done
  }
  rm "$c"
done
