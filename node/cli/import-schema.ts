/**
 * The schema of a `meshflow dataset import`, chosen before any work is done: `--schema`,
 * else the existing dataset's, else the files' own (inferred from the first CSV or JSON
 * Lines records, read from the Parquet footer). An import whose files (or `--schema`) do
 * not fit the existing dataset is refused here, naming the column, rather than after the
 * whole import when the JobManager would refuse the commit.
 *
 * @example
 * await importSchema({ format: 'csv', files: ['/in/a.csv'], given: undefined, dataset: 'sales', existing })
 */
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import type { DatasetSchema } from '../api/dataset-schema.ts'
import { inferCsvSchema, inferRecordSchema, openParquetFile } from '../../connectors/files/index.ts'
import type { DatasetFileFormat } from './dataset-command-line.ts'
import { ImportRefusedError } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Bytes of a JSON Lines file looked at to infer its schema. */
const JSONL_SAMPLE_BYTES = 1024 * 1024
/** Records of a JSON Lines file looked at to infer its schema. */
const JSONL_SAMPLE_ROWS = 1000

export interface ImportSchemaInput {
  readonly format: DatasetFileFormat
  /** The input files (absolute paths), in order. */
  readonly files: readonly string[]
  /** `--schema`. */
  readonly given: DatasetSchema | undefined
  readonly dataset: string
  /** The existing dataset's schema. */
  readonly existing: DatasetSchema | undefined
}

/** The schema to import with; throws an ImportRefusedError naming the column that does not fit. */
export async function importSchema (input: ImportSchemaInput): Promise<DatasetSchema> {
  const { format, files, given, dataset, existing } = input
  if (format === 'parquet') {
    // every footer: a Parquet file's schema is exact, types included
    let first: DatasetSchema | undefined
    for (const file of files) {
      const reader = await openParquetFile(file)
      const schema = reader.schema
      reader.close()
      const against = existing ?? first
      if (against !== undefined) refuse(mismatch(against, schema, existing === undefined ? `the first Parquet file` : `dataset '${dataset}'`, basename(file), true))
      first ??= schema
    }
    return existing ?? first!
  }
  const sample = files[0]!
  const found = format === 'csv' ? await inferCsvSchema(sample) : await inferJsonlSchema(sample)
  if (given !== undefined) {
    if (existing !== undefined) refuse(mismatch(existing, given, `dataset '${dataset}'`, '--schema', true, true))
    return given
  }
  if (existing !== undefined) {
    // the files' own types may be narrower (digits in a text column): names only, typed by the dataset
    refuse(mismatch(existing, found, `dataset '${dataset}'`, format === 'csv' ? `the header of ${basename(sample)}` : basename(sample), false))
    return existing
  }
  return found
}

function refuse (problem: string | undefined): void {
  if (problem !== undefined) throw new ImportRefusedError(problem)
}

/**
 * Why `incoming` does not fit `base`, naming the column: a column missing or extra, of
 * another type (`types`), or in another place (`order`).
 */
export function mismatch (base: DatasetSchema, incoming: DatasetSchema, baseName: string, incomingName: string, types: boolean, order = false): string | undefined {
  const have = new Map(incoming.columns.map((c, i) => [c.name, { type: c.type, index: i }]))
  for (const [i, c] of base.columns.entries()) {
    const other = have.get(c.name)
    if (other === undefined) return `Column '${c.name}' of ${baseName} is missing from ${incomingName}`
    if (types && other.type !== c.type) return `Column '${c.name}' is ${c.type} in ${baseName} but ${other.type} in ${incomingName}`
    if (order && other.index !== i) return `Column '${c.name}' is column ${i + 1} of ${baseName} but column ${other.index + 1} in ${incomingName}`
  }
  const known = new Set(base.columns.map(c => c.name))
  const extra = incoming.columns.find(c => !known.has(c.name))
  if (extra !== undefined) return `Column '${extra.name}' of ${incomingName} is not in ${baseName} (columns: ${base.columns.map(c => c.name).join(', ')})`
  return undefined
}

/** A schema from the first records of a JSON Lines file (lines that do not parse are left to the import to report). */
async function inferJsonlSchema (path: string): Promise<DatasetSchema> {
  const handle = await open(path, 'r')
  let text: string
  try {
    const buf = Buffer.allocUnsafe(JSONL_SAMPLE_BYTES)
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0)
    text = buf.toString('utf8', 0, bytesRead)
    // a line cut by the sample's end is left out
    if (bytesRead === buf.length) text = text.slice(0, text.lastIndexOf('\n') + 1)
  } finally {
    await handle.close()
  }
  const records: unknown[] = []
  for (const line of text.split('\n')) {
    if (records.length >= JSONL_SAMPLE_ROWS) break
    if (line.trim().length === 0) continue
    try {
      records.push(JSON.parse(line))
    } catch {}
  }
  if (records.length === 0) throw new ImportRefusedError(`Cannot infer a schema from ${basename(path)}: no JSON record in its first lines (give --schema col:type,...)`)
  try {
    return inferRecordSchema(records)
  } catch (err) {
    throw new ImportRefusedError(`Cannot infer a schema from ${basename(path)}: ${errorMessage(err)}`, { cause: err })
  }
}
