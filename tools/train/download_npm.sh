#!/usr/bin/env bash
# Download the published tarballs of the N most downloaded packages of a local package list into
# CACHE/tgz, after skipping the SKIP most downloaded (a later batch: SKIP = the earlier batches' N).
#   bash tools/train/download_npm.sh CACHE N [LIST.tsv] [SKIP]
# LIST.tsv: name, version, monthly downloads (tab-separated, with a header line).
# The registry's tarball URLs are fetched by one curl, many at a time over kept-alive
# connections: the same bytes `npm pack` writes, without starting npm (or curl) once per package,
# which on two cores made the processes, not the network, the bottleneck. Tarballs already in
# CACHE/tgz are kept, so a run that stops can be started again; names whose tarball could not be
# fetched are listed in CACHE/fail.log.
set -euo pipefail
CACHE=$1
N=$2
LIST=${3:-/work/.library/env/packages/npm.tsv}
SKIP=${4:-0}
REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}
mkdir -p "$CACHE/tgz"
# awk reads the whole sorted list (a `head` here would end the pipe early, failing it under pipefail)
tail -n +2 "$LIST" | sort -t$'\t' -k3,3nr \
  | awk -F'\t' -v skip="$SKIP" -v n="$N" 'NR > skip && NR <= skip + n {print $1"@"$2}' > "$CACHE/list.txt"
# name@version -> the tarball's URL and the file name `npm pack` gives it (@scope/pkg@1.0.0 ->
# scope-pkg-1.0.0.tgz)
awk -v reg="$REGISTRY" -v dir="$CACHE/tgz" '{
  at = index(substr($0, 2), "@") + 1; name = substr($0, 1, at - 1); version = substr($0, at + 1)
  base = name; sub(/.*\//, "", base)
  file = name; sub(/^@/, "", file); gsub(/\//, "-", file)
  printf "%s\t%s/%s/-/%s-%s.tgz\t%s/%s-%s.tgz\n", $0, reg, name, base, version, dir, file, version
}' "$CACHE/list.txt" > "$CACHE/urls.tsv"
awk -F'\t' '{ if ((getline line < $3) <= 0) printf "url = \"%s\"\noutput = \"%s\"\n", $2, $3; close($3) }' \
  "$CACHE/urls.tsv" > "$CACHE/curl.cfg"
curl --parallel --parallel-max 24 --fail --no-progress-meter --retry 3 --max-time 300 \
  --remove-on-error --config "$CACHE/curl.cfg" || true
awk -F'\t' '{ if ((getline line < $3) <= 0) print "FAIL " $1; close($3) }' "$CACHE/urls.tsv" > "$CACHE/fail.log"
echo "$(( N - $(wc -l < "$CACHE/fail.log") )) tarballs in $CACHE/tgz; $(wc -l < "$CACHE/fail.log") failed (fail.log)"
