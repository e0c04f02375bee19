#!/usr/bin/env bash
# Stops the test services (all, or those named).
set -uo pipefail
cd "$(dirname "$0")"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(kafka rabbitmq kinesis)
for n in "${names[@]}"; do [ -x "./$n.sh" ] && "./$n.sh" stop; done
exit 0
