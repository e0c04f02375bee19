/**
 * `npm run bench [-- NAME...]`: runs the benchmarks under test/bench/ (each in its own
 * process, one after the other) and passes their JSON lines through.
 *
 * Names: local (local-pipeline.ts), shuffle (shuffle.ts: events through a keyBy between
 * two peer processes, submit latency, small jobs at p=3 and p=6; channel-setup.ts: N² channels
 * between two peers), failover (failover.ts: JobManager failover in a
 * 5-peer mesh of processes, start-up time and idle RSS of a peer), codec (codec.ts: the
 * data protocol's cbor codec against JSON), checkpoint (checkpoint.ts: throughput with and
 * without checkpoints, incremental state size, recovery time after SIGKILL), control
 * (control-*.ts: the control plane under attack and at length — protocol fuzzing of peer
 * processes, start-up with a long log and snapshots, status while idle sockets are held),
 * nexmark (nexmark.ts: Nexmark queries embedded against plain JS, and against Apache Flink
 * with `--flink`), segments (segments.ts: the dataset segment format against Apache Arrow IPC
 * and cbor-x record batches: encode, size, projected and row scans), formats (file-formats.ts:
 * typed CSV/JSON Lines reading, Parquet write and read on lineitem-like rows against plain JS
 * and DuckDB), import (dataset-import.ts: `meshflow dataset import` of a CSV file at p=1 and p=2
 * against a plain parsing loop), batch (batch.ts: TPC-H-like Q1/Q6/Q3 through the DataSet API,
 * embedded at p=2 and on a 3-peer mesh, against plain JS and DuckDB), spill (spill.ts: a ~2 GB
 * sort and grouping with a 256 MiB task budget, peak RSS against 1 GiB), lake (lake.ts: datagen →
 * parquetSink with checkpoints, unpartitioned and Hive-partitioned, against the Parquet library
 * writing the same rows directly), kafka-clients (kafka-clients.ts: kafkajs against
 * @platformatic/kafka, produce and consume, on test/services/kafka.sh), rabbitmq (rabbitmq.ts:
 * rabbitmqSink and rabbitmqSource against bare amqplib loops, on test/services/rabbitmq.sh),
 * connectors (connectors.ts: Kafka → map → Kafka through meshflow, at-least-once and
 * exactly-once, against a bare client loop; then lake.ts for the Parquet sink's line). Arguments starting
 * with `--` are passed to every benchmark run.
 */
import { spawnSync } from 'node:child_process'

const benches: Record<string, string | readonly string[]> = {
  local: 'local-pipeline.ts',
  shuffle: ['shuffle.ts', 'channel-setup.ts'],
  failover: 'failover.ts',
  codec: 'codec.ts',
  checkpoint: 'checkpoint.ts',
  control: ['control-snapshots.ts', 'control-sockets.ts', 'control-fuzz.ts'],
  nexmark: 'nexmark.ts',
  segments: 'segments.ts',
  formats: 'file-formats.ts',
  import: 'dataset-import.ts',
  batch: 'batch.ts',
  sql: 'sql.ts',
  'sql-kernels': 'sql-kernels.ts',
  spill: 'spill.ts',
  lake: 'lake.ts',
  'kafka-clients': 'kafka-clients.ts',
  rabbitmq: 'rabbitmq.ts',
  connectors: ['connectors.ts', 'lake.ts']
}
const flags = process.argv.slice(2).filter(a => a.startsWith('--'))
const wanted = process.argv.slice(2).filter(a => !a.startsWith('--'))
const names = wanted.length > 0 ? wanted : Object.keys(benches)
let failed = false
const ran = new Set<string>()
for (const name of names) {
  const files = benches[name]
  if (files === undefined) {
    process.stderr.write(`meshflow bench: unknown benchmark '${name}' (known: ${Object.keys(benches).join(', ')})\n`)
    process.exitCode = 2
    continue
  }
  for (const file of typeof files === 'string' ? [files] : files) {
    if (ran.has(file)) continue   // lake.ts is in 'lake' and 'connectors'
    ran.add(file)
    const r = spawnSync(process.execPath, [new URL(file, import.meta.url).pathname, ...flags], { stdio: 'inherit' })
    if (r.status !== 0) failed = true
  }
}
if (failed) process.exitCode = 1
