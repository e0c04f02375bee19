/**
 * The job `meshflow dataset import` runs: reads files with `fileSource` (large CSV and
 * JSON Lines files in byte ranges, Parquet by row group, in parallel) and writes the rows
 * to a dataset with `writeDataset`, which commits one new version at the end — or nothing
 * when the job fails. Malformed lines fail the job naming the file and line, or, with a
 * dead-letter directory, go there as JSON lines.
 *
 * It imports only what a user's job may ('meshflow' and its connectors), so a mesh bundles
 * and runs it like any job. Its one argument, `spec`, is an {@link ImportSpec} as JSON.
 *
 * @example
 * meshflow run node/cli/jobs/import-job.ts -- --spec '{"dataset":"sales","paths":["/in/sales.csv"],"format":"csv","schema":{…},"mode":"append"}'
 */
import { defineJob, OutputTag } from 'meshflow'
import { fileSink, fileSource, type DeadLetter, type FileSourceOptions } from 'meshflow/connectors/files'

/** What to import, as the CLI passes it. */
export interface ImportSpec {
  readonly dataset: string
  /** Absolute paths of files or directories. */
  readonly paths: readonly string[]
  readonly format: 'csv' | 'jsonl' | 'parquet'
  /** The columns (CSV and JSON Lines are typed by it; Parquet rows keep the file's types). */
  readonly schema: NonNullable<FileSourceOptions['schema']>
  readonly mode: 'append' | 'overwrite'
  readonly partitionBy?: string
  readonly partitions?: number
  /** A directory the dead letters are written to as JSON Lines part files. */
  readonly deadLetterDir?: string
  /** Byte-range size for large line files (tests use small ones). */
  readonly splitBytes?: number
}

export default defineJob((env, args) => {
  if (args.spec === undefined) throw new Error('The import job needs --spec (its ImportSpec as JSON)')
  const spec = JSON.parse(args.spec) as ImportSpec
  // a malformed row must fail the import once, not be read again and again
  env.setRestartStrategy({ kind: 'none' })
  const deadLetter = spec.deadLetterDir === undefined ? undefined : new OutputTag<DeadLetter>('dead-letter')
  const streams = spec.paths.map((path, i) => env.fromSource(fileSource<Record<string, unknown>>({
    path,
    format: spec.format,
    ...(spec.format === 'parquet' ? { columns: spec.schema.columns.map(c => c.name) } : { schema: spec.schema }),
    ...(deadLetter === undefined ? {} : { deadLetter }),
    ...(spec.splitBytes === undefined ? {} : { splitBytes: spec.splitBytes })
  }), undefined, `read ${i}`))
  const [first, ...rest] = streams
  if (first === undefined) throw new Error('The import job needs at least one path')
  const rows = rest.length === 0 ? first : first.union(...rest)
  rows.toDataSet().writeDataset(spec.dataset, {
    mode: spec.mode,
    schema: spec.schema,
    ...(spec.partitionBy === undefined ? {} : { partitionBy: spec.partitionBy }),
    ...(spec.partitions === undefined ? {} : { partitions: spec.partitions })
  })
  if (deadLetter !== undefined && spec.deadLetterDir !== undefined) {
    const bad = streams.map(s => s.sideOutput(deadLetter))
    const [b0, ...bs] = bad
    const all = bs.length === 0 ? b0! : b0!.union(...bs)
    all.sinkTo(fileSink({ path: spec.deadLetterDir, format: 'jsonl' }), 'dead letters')
  }
})
