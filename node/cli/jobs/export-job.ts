/**
 * The job `meshflow dataset export` runs: reads the dataset's latest version (one scan
 * split per partition, where its replicas are) and writes its rows into a directory as CSV
 * or JSON Lines (timestamps as ISO-8601 text, int64 as digits) or Parquet (typed by the
 * dataset's schema, which DuckDB reads as it is). The part files become visible at the end
 * of the job; a failed export leaves none. Like the import job it imports only 'meshflow'
 * and its connectors, so a mesh runs it as any job.
 *
 * @example
 * meshflow run node/cli/jobs/export-job.ts -- --spec '{"dataset":"sales","dir":"/out/sales","format":"parquet","schema":{…}}'
 */
import { defineJob } from 'meshflow'
import { fileSink, parquetSink, type FileSourceOptions } from 'meshflow/connectors/files'

/** What to export, as the CLI passes it. */
export interface ExportSpec {
  readonly dataset: string
  /** Absolute path of the directory the part files go to. */
  readonly dir: string
  readonly format: 'csv' | 'jsonl' | 'parquet'
  readonly schema: NonNullable<FileSourceOptions['schema']>
}

type Row = Record<string, unknown>

export default defineJob((env, args) => {
  if (args.spec === undefined) throw new Error('The export job needs --spec (its ExportSpec as JSON)')
  const spec = JSON.parse(args.spec) as ExportSpec
  env.setRestartStrategy({ kind: 'none' })
  const rows = env.readDataset<Row>(spec.dataset)
  if (spec.format === 'parquet') {
    rows.sinkTo(parquetSink<Row>({ path: spec.dir, schema: spec.schema }), 'write parquet')
    return
  }
  const columns = spec.schema.columns
  const timestamps = columns.filter(c => c.type === 'timestamp').map(c => c.name)
  const int64s = spec.format === 'jsonl' ? columns.filter(c => c.type === 'int64').map(c => c.name) : []
  const text = timestamps.length === 0 && int64s.length === 0
    ? rows
    : rows.map(r => {
      const out: Row = { ...r }
      for (const c of timestamps) {
        const v = out[c]
        if (typeof v === 'number') out[c] = new Date(v).toISOString()
      }
      // JSON has no bigint: a safe integer is a number, a larger one its digits
      for (const c of int64s) {
        const v = out[c]
        if (typeof v === 'bigint') out[c] = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
      }
      return out
    })
  text.sinkTo(fileSink<Row>({
    path: spec.dir,
    format: spec.format,
    ...(spec.format === 'csv' ? { csv: { columns: columns.map(c => c.name), header: true } } : {})
  }), `write ${spec.format}`)
})
