#!/usr/bin/env bash
# Stops the test services (all, or those named).
set -uo pipefail
cd "$(dirname "$0")"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in *.sh; do [ "$f" = up.sh ] || [ "$f" = down.sh ] || names+=("${f%.sh}"); done
fi
for n in "${names[@]}"; do [ -x "./$n.sh" ] && "./$n.sh" stop; done
exit 0
