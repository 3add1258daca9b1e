#!/usr/bin/env bash
# Fetches the held-out code the evaluations sample from (never in any training window):
#   npm:    heldout-npm.txt (`npm pack`): first the 205 packages the first stage held out (among
#           those with split=heldout in tools/train/MANIFEST.tsv), then every other held-out
#           package of the three npm batches gathered (tools/train/README.md) with TypeScript
#           sources
#   Debian: heldout-debian.txt, python3-* packages held out from training (`apt-get download`)
# into DEST/npm/<package>/ and DEST/deb/<package>/ (the package's files as installed).
#   bash tools/eval/fetch_heldout.sh [DEST] [CACHE...]
# DEST defaults to tools/eval/.data (git-ignored). A CACHE folder holding some of the .tgz/.deb
# files is used instead of downloading them again. Needs the npm registry and Debian's archive
# (`apt-get update` once).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${1:-$HERE/.data}
shift || true
CACHES=("$@")
mkdir -p "$DEST/npm-tgz" "$DEST/deb-files" "$DEST/npm" "$DEST/deb"



# npm: `npm pack` names the file <name without @, / as ->-<version>.tgz
missing=()
while read -r spec; do
  [ -z "$spec" ] && continue
  name=${spec%@*}; version=${spec##*@}
  NAME="$(echo "$name" | sed 's/^@//; s#/#-#')-$version.tgz"
  [ -f "$DEST/npm-tgz/$NAME" ] && continue
  hit=""; for c in "${CACHES[@]}"; do [ -f "$c/$NAME" ] && { hit="$c/$NAME"; break; }; done
  if [ -n "$hit" ]; then cp "$hit" "$DEST/npm-tgz/"; else missing+=("$spec"); fi
done < "$HERE/heldout-npm.txt"
if [ ${#missing[@]} -gt 0 ]; then
  (cd "$DEST/npm-tgz" && printf '%s\n' "${missing[@]}" | xargs -n 20 npm pack --silent >/dev/null)
fi
for tgz in "$DEST"/npm-tgz/*.tgz; do
  out="$DEST/npm/$(basename "$tgz" .tgz)"
  [ -d "$out" ] && continue
  mkdir -p "$out" && tar -xzf "$tgz" -C "$out" --strip-components=1 --no-same-owner 2>/dev/null || true
done

# Debian: apt-get download names the file <name>_<version with : as %3a>_<arch>.deb
missing=()
while read -r spec; do
  [ -z "$spec" ] && continue
  name=${spec%%=*}
  if ls "$DEST/deb-files/${name}_"*.deb >/dev/null 2>&1; then continue; fi
  hit=""
  for c in "${CACHES[@]}"; do
    f=$(ls "$c/${name}_"*.deb 2>/dev/null | head -n 1 || true)
    [ -n "$f" ] && { hit=$f; break; }
  done
  if [ -n "$hit" ]; then cp "$hit" "$DEST/deb-files/"; else missing+=("$spec"); fi
done < "$HERE/heldout-debian.txt"
if [ ${#missing[@]} -gt 0 ]; then
  (cd "$DEST/deb-files" && printf '%s\n' "${missing[@]}" | xargs -n 20 apt-get download -q >/dev/null)
fi
for deb in "$DEST"/deb-files/*.deb; do
  out="$DEST/deb/$(basename "$deb" | cut -d_ -f1)"
  [ -d "$out" ] && continue
  mkdir -p "$out" && dpkg-deb -x "$deb" "$out"
done
echo "held-out code in $DEST: $(ls "$DEST/npm" | wc -l) npm packages, $(ls "$DEST/deb" | wc -l) Debian packages"
