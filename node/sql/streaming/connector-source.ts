/**
 * A connector table as a source: the DataStream of its rows (arrays in column order, values
 * as sql-types.ts holds them) with the event time and watermarks its WATERMARK clause gives
 * (`ts - INTERVAL 'd'` → `forBoundedOutOfOrderness(d)`, `ts` → `forMonotonousTimestamps`).
 *
 * datagen → connectors/datagen, files → connectors/files `fileSource` (typed by the
 * columns), dataset → `datasetSource`, kafka → connectors/kafka `kafkaSource` (JSON values;
 * the Kafka client loads when the job's first split or reader needs it).
 *
 * @example
 * const rows = connectorStream(env, def) // DataStream<unknown[]>
 */
import type { StreamEnvironment } from '../../api/stream-environment.ts'
import type { DataStream } from '../../api/data-stream.ts'
import type { Source, SourceReader, SourceReaderContext, SourceSplit } from '../../api/source.ts'
import type { ConnectorTable } from './connector-table.ts'
import type { SqlType } from '../sql-types.ts'
import { WatermarkStrategy } from '../../api/watermark-strategy.ts'
import { datasetSource } from '../../runtime/datasets/dataset-source.ts'
import { datagen } from '../../../connectors/datagen/index.ts'
import { fileSource } from '../../../connectors/files/file-source.ts'
import { columnTypeOf } from '../sql-types.ts'
import { datagenRows } from './datagen-rows.ts'

type Row = unknown[]

/** Flink's datagen default rate. */
const DEFAULT_ROWS_PER_SECOND = 10_000

/** The rows of a connector table (see the module comment). */
export function connectorStream (env: StreamEnvironment, def: ConnectorTable): DataStream<Row> {
  const names = def.columns.map(c => c.name)
  const convert = rowConverter(def.columns.map(c => c.type))
  const name = `table ${def.name}`
  const o = def.options
  switch (def.connector) {
    case 'datagen': {
      const { count, generate } = datagenRows(def)
      const rate = o['rows-per-second'] === undefined ? DEFAULT_ROWS_PER_SECOND : Number(o['rows-per-second'])
      const source = datagen<Row>({ ...(count === undefined ? {} : { count }), generate, ratePerSec: rate })
      return env.fromSource(source, watermarks<Row>(def, r => r), name)
    }
    case 'files': {
      const schema = { columns: def.columns.map(c => ({ name: c.name, type: columnTypeOf(c.type) })) }
      const source = fileSource<Record<string, unknown>>({
        path: o.path!,
        format: o.format === 'csv' ? 'csv' : 'jsonl',
        schema,
        ...(o.format === 'csv' ? { csv: { header: false, columns: names } } : {})
      } as Parameters<typeof fileSource>[0]) as unknown as Source<Record<string, unknown>>
      return env.fromSource(source, watermarks<Record<string, unknown>>(def, r => names.map(n => r[n])), name)
        .map(r => convert(names.map(n => r[n])))
    }
    case 'dataset': {
      const source = datasetSource(o.name ?? def.name, { columns: names })
      return env.fromSource(source, watermarks<Record<string, unknown>>(def, r => names.map(n => r[n])), name)
        .map(r => convert(names.map(n => r[n])))
    }
    case 'kafka': {
      const brokers = o['properties.bootstrap.servers']!.split(',').map(b => b.trim()).filter(b => b.length > 0)
      const mode = o['scan.startup.mode'] ?? 'group-offsets'
      const startingOffsets = mode === 'earliest-offset' ? 'earliest' : mode === 'latest-offset' ? 'latest' : 'committed'
      const deserialize = (value: Uint8Array | null): Row => {
        const parsed = value === null ? {} : JSON.parse(new TextDecoder().decode(value)) as Record<string, unknown>
        return convert(names.map(n => parsed[n]))
      }
      const source = lazySource<Row>(def.bounded, async () => {
        const { kafkaSource } = await import('../../../connectors/kafka/index.ts')
        return kafkaSource<Row>({
          brokers,
          topics: [o.topic!],
          groupId: o['properties.group.id'] ?? `meshflow-sql-${def.name}`,
          startingOffsets,
          ...(def.bounded ? { stoppingOffsets: 'latest' as const } : {}),
          deserializer: r => deserialize(r.value)
        }) as unknown as Source<Row>
      })
      return env.fromSource(source, watermarks<Row>(def, r => r), name)
    }
  }
}

/** The table's watermark strategy over its source's records (`row` reads a record as a row). */
function watermarks<T> (def: ConnectorTable, row: (record: T) => readonly unknown[]): WatermarkStrategy<T> {
  const w = def.watermark
  if (w === undefined) return WatermarkStrategy.noWatermarks<T>()
  const base = w.delayMs === 0 ? WatermarkStrategy.forMonotonousTimestamps<T>() : WatermarkStrategy.forBoundedOutOfOrderness<T>(w.delayMs)
  const strategy = def.idleTimeoutMs === undefined ? base : base.withIdleness(def.idleTimeoutMs)
  const convert = valueConverter('TIMESTAMP')
  return strategy.withTimestampAssigner(r => {
    const ts = convert(row(r)[w.column])
    return typeof ts === 'number' ? ts : Number.MIN_SAFE_INTEGER
  })
}

/** A function giving each value of a row the JS form of its column's SQL type (null for missing). */
export function rowConverter (types: readonly SqlType[]): (values: readonly unknown[]) => Row {
  const converters = types.map(valueConverter)
  return values => converters.map((f, i) => f(values[i]))
}

function valueConverter (type: SqlType): (v: unknown) => unknown {
  switch (type) {
    case 'BIGINT': return v => v === null || v === undefined ? null : typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : null
    case 'INTEGER':
    case 'DOUBLE': return v => v === null || v === undefined ? null : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null
    case 'TIMESTAMP':
    case 'DATE': return v => {
      if (v === null || v === undefined) return null
      if (typeof v === 'number') return v
      if (typeof v === 'bigint') return Number(v)
      if (v instanceof Date) return v.getTime()
      if (typeof v === 'string') {
        const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`)
        return Number.isNaN(t) ? null : t
      }
      return null
    }
    case 'VARCHAR': return v => v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
    case 'BOOLEAN': return v => v === null || v === undefined ? null : typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null
    default: return v => v ?? null
  }
}

/**
 * A source whose implementation loads on first use (the Kafka client costs ~0.5 s to
 * import): splits are made after `load`, a reader takes its splits and waits for `load`
 * on its first poll.
 */
function lazySource<T> (bounded: boolean, load: () => Promise<Source<T>>): Source<T> {
  let loading: Promise<Source<T>> | undefined
  const loaded = (): Promise<Source<T>> => (loading ??= load())
  return {
    bounded,
    createSplits: async (parallelism, context) => await (await loaded()).createSplits(parallelism, context),
    createReader: (context: SourceReaderContext): SourceReader<T> => {
      let reader: SourceReader<T> | undefined
      const pending: SourceSplit[] = []
      const ready = async (): Promise<SourceReader<T>> => {
        if (reader === undefined) {
          const source = await loaded()
          reader ??= source.createReader(context)
          if (pending.length > 0) reader.addSplits(pending.splice(0))
        }
        return reader
      }
      return {
        addSplits: splits => { if (reader === undefined) pending.push(...splits); else reader.addSplits(splits) },
        pollNext: async max => await (await ready()).pollNext(max),
        snapshotSplits: checkpointId => reader === undefined ? [...pending] : reader.snapshotSplits(checkpointId),
        notifyCheckpointComplete: async checkpointId => { await reader?.notifyCheckpointComplete?.(checkpointId) },
        close: async () => { await reader?.close() }
      }
    }
  }
}
