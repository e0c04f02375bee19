#!/usr/bin/env bash
# kinesalite (Kinesis emulator, npm devDependency) on 127.0.0.1:34567 for the connector tests.
#   test/services/kinesis.sh start|stop|status
# Data (LevelDB), log and pid in $MESHFLOW_SERVICES_DIR/kinesis (default /tmp/meshflow-services).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port=34567
endpoint="http://127.0.0.1:$port"
dir="${MESHFLOW_SERVICES_DIR:-/tmp/meshflow-services}/kinesis"
pidfile="$dir/pid"
log="$dir/kinesis.log"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node="$(command -v node)"

# True when kinesalite answers a Kinesis call (ListStreams) on the port.
answers () {
  curl -s -m 2 -o /dev/null -w '%{http_code}' -X POST "$endpoint/" \
    -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: Kinesis_20131202.ListStreams' -H 'X-Amz-Date: 20240101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null | grep -q '^200$'
}

running_pid () {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

case "${1:-}" in
  start)
    if answers; then echo "kinesis ready at $endpoint (already running)"; exit 0; fi
    mkdir -p "$dir/data"
    if pid="$(running_pid)"; then
      echo "kinesalite (pid $pid) is starting: waiting for it"
    else
      [ -d "$root/node_modules/kinesalite" ] || { echo "kinesalite is not installed: run npm install in $root" >&2; exit 1; }
      # setsid: the server outlives this script (and the test runner that started it); it
      # writes its own pid file, so the pid is the node process's and not a wrapper's
      rm -f "$pidfile"
      # the whole subshell is redirected and execs the server: nothing keeps the caller's
      # stdout open (a runner that waits for the script's output to close would hang)
      (cd "$root" && exec setsid "$node" "$here/kinesalite.cjs" "$port" "$dir/data" "$pidfile") >>"$log" 2>&1 < /dev/null &
    fi
    for _ in $(seq 1 120); do
      if answers; then echo "kinesis ready at $endpoint"; exit 0; fi
      if [ -f "$pidfile" ] && ! running_pid >/dev/null; then break; fi
      sleep 0.25
    done
    echo "kinesalite did not start at $endpoint; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
    ;;
  stop)
    if pid="$(running_pid)"; then
      kill -CONT "$pid" 2>/dev/null; kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "kinesis stopped"
    else
      echo "kinesis is not running"
    fi
    rm -f "$pidfile"
    ;;
  status)
    if answers; then echo "kinesis ready at $endpoint"; exit 0; fi
    echo "kinesis is not running at $endpoint"; exit 1
    ;;
  *)
    echo "Usage: $0 start|stop|status" >&2; exit 2
    ;;
esac
