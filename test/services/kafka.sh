#!/usr/bin/env bash
# Apache Kafka 4.1 for the connector tests: one KRaft node (broker and controller in one JVM)
# on 127.0.0.1:39092 (controller 127.0.0.1:39093), conventions in README.md.
#
#   test/services/kafka.sh start|stop|status
#
# The broker jars are resolved from Maven Central once (mvn dependency:copy-dependencies from a
# generated pom) into $MESHFLOW_SERVICES_CACHE/kafka/libs; the data, log and pid file live in
# $MESHFLOW_SERVICES_DIR/kafka. Every internal topic has replication factor 1 and min ISR 1
# (one node), so transactions and consumer groups work.
set -euo pipefail

NAME=kafka
HOST=127.0.0.1
PORT=${MESHFLOW_KAFKA_PORT:-39092}
CONTROLLER_PORT=${MESHFLOW_KAFKA_CONTROLLER_PORT:-39093}
KAFKA_VERSION=4.1.1
LOG4J_VERSION=2.24.3
STATE=${MESHFLOW_SERVICES_DIR:-/tmp/meshflow-services}/$NAME
CACHE=${MESHFLOW_SERVICES_CACHE:-$HOME/.cache/meshflow-services}/$NAME
LIBS=$CACHE/libs
LOG=$STATE/$NAME.log
PIDFILE=$STATE/pid
READY_SECONDS=${MESHFLOW_KAFKA_READY_SECONDS:-90}

answers () { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

running_pid () {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_libs () {
  if [ -f "$LIBS/.complete-$KAFKA_VERSION" ]; then return 0; fi
  echo "kafka: resolving kafka_2.13:$KAFKA_VERSION from Maven Central into $LIBS" >&2
  local work; work=$(mktemp -d)
  cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>meshflow</groupId>
  <artifactId>kafka-test-service</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.partial"
  mkdir -p "$LIBS.partial"
  if ! mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.partial" >&2; then
    rm -rf "$work" "$LIBS.partial"
    echo "kafka: mvn could not resolve the broker jars" >&2
    return 1
  fi
  rm -rf "$work" "$LIBS"
  mv "$LIBS.partial" "$LIBS"
  touch "$LIBS/.complete-$KAFKA_VERSION"
}

write_config () {
  mkdir -p "$STATE/data"
  cat > "$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$STATE/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=2
log.segment.bytes=67108864
transaction.max.timeout.ms=900000
EOF
  cat > "$STATE/log4j2.properties" <<EOF
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = info
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
}

java_cmd () {
  java -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

start () {
  if answers; then
    echo "kafka: already running at $HOST:$PORT"
    echo "kafka ready at $HOST:$PORT"
    return 0
  fi
  if pid=$(running_pid); then
    echo "kafka: process $pid from an earlier start does not answer; stopping it" >&2
    stop
  fi
  command -v java >/dev/null || { echo "kafka: java is not installed (Java 17 is needed)" >&2; return 1; }
  command -v mvn >/dev/null || { echo "kafka: mvn is not installed (it resolves the broker jars)" >&2; return 1; }
  install_libs
  rm -rf "$STATE"
  write_config
  local id
  id=$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$LOG" | tail -n 1)
  if ! java_cmd kafka.tools.StorageTool format -t "$id" -c "$STATE/server.properties" >>"$LOG" 2>&1; then
    echo "kafka: formatting the storage failed; the tail of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    return 1
  fi
  # setsid: the broker outlives the shell that started it (and its process group)
  setsid bash -c "exec java -Xms128m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile='$STATE/log4j2.properties' -cp '$LIBS/*' kafka.Kafka '$STATE/server.properties'" \
    >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  local pid; pid=$(cat "$PIDFILE")
  local deadline=$((SECONDS + READY_SECONDS))
  until answers && grep -q 'Kafka Server started' "$LOG"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "kafka: the broker exited while starting; the tail of $LOG:" >&2
      tail -n 40 "$LOG" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "kafka: not ready after ${READY_SECONDS}s; the tail of $LOG:" >&2
      tail -n 40 "$LOG" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "kafka ready at $HOST:$PORT"
}

stop () {
  local pid
  if pid=$(running_pid); then
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    echo "kafka: stopped (pid $pid)"
  else
    echo "kafka: not running"
  fi
  rm -f "$PIDFILE"
}

status () {
  if answers; then
    echo "kafka running at $HOST:$PORT${PIDFILE:+ (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))}"
  else
    echo "kafka not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
