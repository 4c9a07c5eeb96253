#!/usr/bin/env bash
# The safe-state demo (`npm run demo`): a job of 500 simulated image downloads fails at image 233,
# then the same command is run again and resumes at image 233.
#
# Runs in a fresh temporary working directory (so the checkpoint directory `.safe_state` starts empty
# and the demo is repeatable), removed at the end; set KEEP=1 to keep it for a look.
# Environment: FAIL_AT (default 233), COUNT (default 500).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAMPLE="$REPO/samples/image-downloads/download-images.ts"
FAIL_AT="${FAIL_AT:-233}"
COUNT="${COUNT:-500}"

if [ ! -x "$REPO/node_modules/.bin/tsx" ]; then
  echo "tsx is not installed: run 'npm ci' in $REPO first" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/safe-state-demo.XXXXXX")"
if [ "${KEEP:-}" = 1 ]; then
  trap 'echo; echo "(kept the working directory $WORK)"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
cd "$WORK"

# `npx --prefix` finds the repository's own tsx (never downloads one) while the job runs in $WORK.
run_sample() {
  npx --prefix "$REPO" --no-install tsx --tsconfig "$REPO/tsconfig.json" "$SAMPLE" --count "$COUNT" "$@"
}

# The interesting lines are safe-state's verbose output on stderr; show both streams, in order.
if [ -t 1 ]; then
  say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
  say() { printf '\n%s\n' "$*"; }
fi

say "== working directory: $WORK"
say "== run 1: \$ npx tsx download-images.ts --fail-at $FAIL_AT   (the network times out at image $FAIL_AT)"
set +e
run_sample --fail-at "$FAIL_AT" 2>&1
status=$?
set -e
say "== run 1 exited with status $status (expected: non-zero)"
if [ "$status" -eq 0 ]; then
  echo "demo: the first run was supposed to fail" >&2
  exit 1
fi
echo "images on disk: $(find images -name 'image-*.svg' | wc -l)"
echo "checkpoint:"
ls -l .safe_state

say "== run 2: \$ npx tsx download-images.ts   (the same job, network fine now: it resumes at image $FAIL_AT)"
run_sample 2>&1
say "== run 2 exited with status 0"
echo "images on disk: $(find images -name 'image-*.svg' | wc -l) of $COUNT"
echo "downloads logged: $(wc -l < images/downloads.log), images downloaded twice: $(sort -n images/downloads.log | uniq -d | wc -l)"
echo "checkpoint files left: $(find .safe_state -name '*.safestate' | wc -l)"
