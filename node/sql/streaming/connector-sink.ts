/**
 * A connector table as the target of `INSERT INTO`: the query's rows (arrays in the table's
 * column order) written by the table's connector, as records keyed by column name.
 *
 * - files → `fileSink` (JSON Lines for `'format' = 'json'`, CSV without a header for
 *   `'csv'`): exactly once with checkpointing (two-phase commit), else at the end of input.
 * - kafka → `kafkaSink` with JSON values; `'sink.delivery-guarantee' = 'exactly-once'`
 *   writes in Kafka transactions (prefix `'sink.transactional-id-prefix'`, default
 *   `meshflow-sql-<table>`), else at least once.
 * - dataset → `datasetSink`: appends a version exactly once per checkpoint.
 * - datagen is a source only.
 *
 * BIGINT values go to JSON as numbers (as strings beyond 2^53).
 *
 * @example
 * connectorSink(def, rows) // rows: DataStream<unknown[]>
 */
import type { Sink, SinkTopology } from '../../api/sink.ts'
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import type { ConnectorTable } from './connector-table.ts'
import { DataStreamSink, type DataStream } from '../../api/data-stream.ts'
import { datasetTarget } from '../../api/dataset-write.ts'
import { DatasetWriterOperator } from '../../runtime/datasets/dataset-writer-operator.ts'
import { datasetAppendCommitSink } from '../../runtime/datasets/dataset-commit-sink.ts'
import { SinkOperator } from '../../runtime/operators/sink-operator.ts'
import { fileSink } from '../../../connectors/files/file-sink.ts'
import { columnTypeOf } from '../sql-types.ts'
import { SqlDdlError } from '../errors.ts'

type Row = unknown[]

/** Writes `rows` into the table (see the module comment). */
export function connectorSink (def: ConnectorTable, rows: DataStream<Row>): DataStreamSink<unknown> {
  const names = def.columns.map(c => c.name)
  const o = def.options
  const name = `insert into ${def.name}`
  switch (def.connector) {
    case 'files': {
      const sink = fileSink<Record<string, unknown>>(o.format === 'csv'
        ? { path: o.path!, format: 'csv', csv: { columns: names, header: false } }
        : { path: o.path!, format: 'jsonl' })
      return rows.map(r => jsonRecord(names, r)).sinkTo(sink, name) as DataStreamSink<unknown>
    }
    case 'dataset': {
      const schema = { columns: def.columns.map(c => ({ name: c.name, type: columnTypeOf(c.type) })) }
      return rows.map(r => record(names, r)).sinkTo(datasetAppend(o.name ?? def.name, schema), name) as DataStreamSink<unknown>
    }
    case 'kafka': {
      const brokers = o['properties.bootstrap.servers']!.split(',').map(b => b.trim()).filter(b => b.length > 0)
      const exactlyOnce = o['sink.delivery-guarantee'] === 'exactly-once'
      const options = {
        brokers,
        topic: o.topic!,
        serializer: 'json' as const,
        delivery: exactlyOnce ? 'exactly-once' as const : 'at-least-once' as const,
        ...(exactlyOnce ? { transactionalIdPrefix: o['sink.transactional-id-prefix'] ?? `meshflow-sql-${def.name}` } : {})
      }
      return rows.map(r => jsonRecord(names, r)).sinkTo(lazySink(async () => {
        const { kafkaSink } = await import('../../../connectors/kafka/index.ts')
        return kafkaSink<Record<string, unknown>>(options)
      }), name) as DataStreamSink<unknown>
    }
    case 'datagen':
      throw new SqlDdlError(`Table ${def.name} (connector 'datagen') is a source: INSERT INTO needs a 'files', 'dataset' or 'kafka' table`, def.pos)
  }
}

/**
 * `datasetSink(name, { schema })` (api/dataset-sink.ts) built from its runtime parts: that
 * module cannot be imported here (env.sql is part of the StreamEnvironment it depends on).
 */
function datasetAppend (dataset: string, schema: DatasetSchema): SinkTopology<Record<string, unknown>> {
  return {
    addTo (input: DataStream<Record<string, unknown>>): DataStreamSink<Record<string, unknown>> {
      const env = input.environment
      const target = datasetTarget(env, `INSERT INTO dataset '${dataset}'`, dataset, { schema })
      const writer = env.addTransformation({ kind: 'operator', name: `write ${dataset}`, inputs: [input.transformation], factory: () => new DatasetWriterOperator({ ...target, commitOnCheckpoint: true }) })
      const sink = datasetAppendCommitSink(target)
      const committer = env.addTransformation({ kind: 'operator', name: `commit ${dataset}`, inputs: [writer], factory: () => new SinkOperator(sink), isSink: true })
      committer.parallelism = 1
      return new DataStreamSink<Record<string, unknown>>(committer)
    }
  }
}

function record (names: readonly string[], row: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (let i = 0; i < names.length; i++) o[names[i]!] = row[i] ?? null
  return o
}

/** A record JSON can write: bigints as numbers (strings when they would lose digits). */
function jsonRecord (names: readonly string[], row: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (let i = 0; i < names.length; i++) {
    const v = row[i] ?? null
    o[names[i]!] = typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v
  }
  return o
}

/** A sink whose implementation loads when its first writer is made. */
function lazySink<T> (load: () => Promise<Sink<T>>): Sink<T> {
  let loading: Promise<Sink<T>> | undefined
  return {
    createWriter: async context => await (await (loading ??= load())).createWriter(context)
  }
}
