#!/usr/bin/env bash
# Runs the benchmarks against wasp as committed at a git revision, whatever
# state the work tree's crates/ is in:
#
#   bench/at-revision.sh [REV] [-- HARNESS ARGS...]     (REV defaults to HEAD)
#
# The current bench/ sources are copied next to `git archive REV Cargo.toml
# crates` in $WASP_BENCH_SNAP (default: /tmp/wasp-bench-snap) and built there,
# with $CARGO_TARGET_DIR defaulting to /work/target-bench-snap so the snapshot
# build does not evict the regular one.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
rev="HEAD"
if [[ $# -gt 0 && "$1" != "--" ]]; then
  rev="$1"
  shift
fi
if [[ $# -gt 0 && "$1" == "--" ]]; then
  shift
fi

# Name the snapshot after the last commit that changed the engine.
short="$(git -C "$repo" log -1 --format=%h "$rev" -- crates/wasp)"
snap="${WASP_BENCH_SNAP:-/tmp/wasp-bench-snap}"
full="$(git -C "$repo" rev-parse "$rev^{commit}")"
mkdir -p "$snap/bench"
# git archive stamps files with the commit's time, which can be older than the
# previous snapshot's build output: cargo would then keep the stale build. So
# extract only when the revision changes, with the extraction time as mtime.
if [[ "$(cat "$snap/.revision" 2>/dev/null)" != "$full" ]]; then
  rm -rf "$snap/crates" "$snap/.revision"
  git -C "$repo" archive "$rev" Cargo.toml crates | tar -x -m -C "$snap"
  echo "$full" >"$snap/.revision"
fi
# -p: unchanged harness sources keep their times and are not rebuilt.
cp -rp "$here/Cargo.toml" "$here/Cargo.lock" "$here/src" "$here/workloads" "$snap/bench/"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench-snap}"
cd "$snap/bench"
cargo build --release --quiet
WASP_BENCH_REVISION="$short" "$CARGO_TARGET_DIR/release/wasp-bench" "$@"
