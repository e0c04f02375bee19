#!/usr/bin/env bash
# RabbitMQ for the connector tests (test/services/README.md): Debian's rabbitmq-server, run
# without systemd as root, listening on 127.0.0.1 only, with every file it writes under
# $MESHFLOW_SERVICES_DIR/rabbitmq.
#
#   test/services/rabbitmq.sh start    installs rabbitmq-server when missing, starts it, waits for AMQP
#   test/services/rabbitmq.sh stop     stops the broker and its epmd
#   test/services/rabbitmq.sh status   exits 0 when the broker answers AMQP
#
# Endpoint: amqp://127.0.0.1:35672 (user guest/guest, which RabbitMQ allows from loopback).
# Ports are off the defaults (AMQP 35672, distribution 35673, epmd 34369), so a system-wide
# RabbitMQ or epmd on 5672/4369 (had the package's postinstall started one) does not conflict.
# `pid` holds the pid of the Erlang VM (beam.smp) itself: SIGSTOP on it makes the broker
# unreachable, as services.ts withOutage expects. epmd runs as our own child (`epmd.pid`).
set -uo pipefail

NAME=rabbitmq
DIR="${MESHFLOW_SERVICES_DIR:-/tmp/meshflow-services}/$NAME"
HOST=127.0.0.1
PORT=35672
DIST_PORT=35673
EPMD_PORT=34369
SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
READY_WAIT_S=90
LOG="$DIR/$NAME.log"

# True when the broker answers the AMQP 0-9-1 protocol header with a Connection.Start frame
# (frame type 1, channel 0): the listener is up and the broker has booted.
amqp_answers () {
  local reply
  reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$PORT || exit 1
    printf 'AMQP\\x00\\x00\\x09\\x01' >&3
    head -c 3 <&3 | od -An -tx1" 2>/dev/null) || return 1
  [ "$(echo $reply)" = "01 00 00" ]
}

alive () { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_pid () { [ -f "$1" ] && tr -dc '0-9' < "$1"; }

install_if_missing () {
  [ -x "$SERVER" ] && return 0
  echo "installing Debian's rabbitmq-server (apt-get)"
  if [ "$(id -u)" != 0 ]; then
    echo "rabbitmq-server is not installed and this is not root: apt-get install rabbitmq-server first" >&2
    return 1
  fi
  # The package's postinstall may start a system-wide broker (where systemd or an init script
  # runs); it listens on the default ports, which this script does not use.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server >"$DIR/apt.log" 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$DIR/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server >>"$DIR/apt.log" 2>&1
  } || { echo "apt-get install rabbitmq-server failed:" >&2; tail -n 20 "$DIR/apt.log" >&2; return 1; }
  [ -x "$SERVER" ] || { echo "rabbitmq-server installed but $SERVER is missing" >&2; return 1; }
}

start () {
  mkdir -p "$DIR"
  if amqp_answers; then
    echo "$NAME already running"
    echo "$NAME ready at amqp://$HOST:$PORT"
    return 0
  fi
  install_if_missing || return 1
  # a previous run that died half-way: end what is left of it before starting afresh
  stop_quietly
  rm -rf "$DIR/home" "$DIR/mnesia" "$DIR/log" "$DIR/etc"
  mkdir -p "$DIR/home" "$DIR/mnesia" "$DIR/log" "$DIR/etc"
  : > "$DIR/etc/rabbitmq-env.conf"        # ignore the host's /etc/rabbitmq
  echo '[].' > "$DIR/etc/enabled_plugins" # no management plugin (and its port 15672)
  : > "$LOG"

  # epmd as our own child, so stop ends exactly this one (epmd started by erl would detach)
  ERL_EPMD_ADDRESS=$HOST setsid epmd -port "$EPMD_PORT" >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$DIR/epmd.pid"

  # RUNNING_UNDER_SYSTEMD makes the script exec the VM instead of forking it: $! is beam.smp
  (
    export HOME="$DIR/home" \
      RABBITMQ_NODENAME=rabbit@localhost \
      RABBITMQ_NODE_IP_ADDRESS=$HOST \
      RABBITMQ_NODE_PORT=$PORT \
      RABBITMQ_DIST_PORT=$DIST_PORT \
      ERL_EPMD_PORT=$EPMD_PORT \
      ERL_EPMD_ADDRESS=$HOST \
      RABBITMQ_BASE="$DIR" \
      RABBITMQ_MNESIA_BASE="$DIR/mnesia" \
      RABBITMQ_LOG_BASE="$DIR/log" \
      RABBITMQ_LOGS=- \
      RABBITMQ_CONF_ENV_FILE="$DIR/etc/rabbitmq-env.conf" \
      RABBITMQ_CONFIG_FILE="$DIR/etc/rabbitmq" \
      RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/etc/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/etc/enabled_plugins" \
      RABBITMQ_PID_FILE="$DIR/rabbit.pid" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      RUNNING_UNDER_SYSTEMD=true
    exec setsid "$SERVER" >>"$LOG" 2>&1 < /dev/null
  ) &
  local pid=$!
  echo "$pid" > "$DIR/pid"

  local deadline=$((SECONDS + READY_WAIT_S))
  until amqp_answers; do
    if ! alive "$pid"; then
      echo "$NAME exited while starting; the end of $LOG:" >&2
      tail -n 30 "$LOG" >&2
      stop_quietly
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "$NAME did not accept AMQP connections on $HOST:$PORT within ${READY_WAIT_S}s; the end of $LOG:" >&2
      tail -n 30 "$LOG" >&2
      stop_quietly
      return 1
    fi
    sleep 0.5
  done
  local comm
  comm=$(ps -o comm= -p "$pid" 2>/dev/null)
  case "$comm" in
    beam*) ;;
    *) echo "warning: the pid $pid in $DIR/pid is '$comm', not the Erlang VM" >&2 ;;
  esac
  echo "$NAME ready at amqp://$HOST:$PORT"
}

# Ends the broker (SIGTERM: the VM shuts down cleanly; SIGKILL after 30 s) and our epmd.
stop_quietly () {
  local pid epmd
  pid=$(read_pid "$DIR/pid")
  if alive "$pid"; then
    kill -CONT "$pid" 2>/dev/null  # a test may have left it stopped
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 60); do alive "$pid" || break; sleep 0.5; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  epmd=$(read_pid "$DIR/epmd.pid")
  if alive "$epmd"; then
    kill -TERM "$epmd" 2>/dev/null
    for _ in $(seq 20); do alive "$epmd" || break; sleep 0.25; done
    alive "$epmd" && kill -KILL "$epmd" 2>/dev/null
  fi
  rm -f "$DIR/pid" "$DIR/epmd.pid" "$DIR/rabbit.pid"
}

case "${1:-}" in
  start) start ;;
  stop)
    if [ -f "$DIR/pid" ] || [ -f "$DIR/epmd.pid" ]; then stop_quietly; echo "$NAME stopped"; else echo "$NAME not running"; fi ;;
  status)
    if amqp_answers; then echo "$NAME running at amqp://$HOST:$PORT (pid $(read_pid "$DIR/pid"))"; else echo "$NAME not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
