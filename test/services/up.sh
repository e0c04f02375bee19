#!/usr/bin/env bash
# Starts the test services (all, or those named) in parallel; fails when any fails to start.
set -uo pipefail
cd "$(dirname "$0")"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in *.sh; do [ "$f" = up.sh ] || [ "$f" = down.sh ] || names+=("${f%.sh}"); done
fi
pids=()
for n in "${names[@]}"; do
  [ -x "./$n.sh" ] || { echo "No service script test/services/$n.sh" >&2; exit 2; }
  "./$n.sh" start & pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
