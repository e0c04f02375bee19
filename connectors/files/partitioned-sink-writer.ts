/**
 * The writer of one `parquetSink({ partitionBy })` subtask: records are routed by the
 * values of the partition columns into Hive-style directories (`store=s1/`,
 * `region=eu/day=2024-01-31/`), each written by its own FileSinkWriter — so every partition
 * directory gets hidden parts that become visible through the same two-phase commit. The
 * partition columns are not stored in the files (the directory names hold them, as Hive,
 * Spark and DuckDB do; DuckDB reads them back with `hive_partitioning`).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SinkWriter } from '../../node/api/sink.ts'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { writeErrorOf } from './errors.ts'
import { FileSinkWriter, type FileSinkWriterInit } from './file-sink-writer.ts'
import { inferRecordSchema } from './infer-schema.ts'
import { ParquetEncoder } from './parquet-encoder.ts'
import type { ParquetWriteOptions } from './parquet-write.ts'

/** The directory name of a null (or empty) partition value, as Hive writes it. */
export const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__'

/** Characters Hive escapes as `%XX` in partition values (FileUtils.escapePathName). */
const ESCAPED = new Set(['"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^'])

/** A partition value as a directory name part (Hive's escaping). */
export function hivePartitionValue (value: unknown): string {
  if (value === null || value === undefined) return HIVE_NULL_PARTITION
  const s = value instanceof Date ? value.toISOString() : String(value)
  if (s.length === 0) return HIVE_NULL_PARTITION
  let out = ''
  for (const ch of s) {
    const c = ch.charCodeAt(0)
    out += c < 0x20 || ESCAPED.has(ch) ? '%' + c.toString(16).toUpperCase().padStart(2, '0') : ch
  }
  return out
}

export interface PartitionedSinkWriterInit extends Omit<FileSinkWriterInit<unknown>, 'dir' | 'encoder' | 'extension'> {
  /** The output directory (it exists). */
  readonly root: string
  readonly partitionBy: readonly string[]
  /** Every column, partition columns included; default: inferred from the first batch. */
  readonly schema: DatasetSchema | undefined
  readonly parquet: ParquetWriteOptions | undefined
}

export class PartitionedSinkWriter<T> implements SinkWriter<T> {
  readonly #init: PartitionedSinkWriterInit
  /** The columns stored in the files: the schema without the partition columns. */
  #fileSchema: DatasetSchema | undefined
  readonly #writers = new Map<string, FileSinkWriter<T>>()
  /** Commits restored parts of any directory (a fresh attempt has no writer for them yet). */
  readonly #committer: FileSinkWriter<T>
  #closed = false

  constructor (init: PartitionedSinkWriterInit) {
    this.#init = init
    if (init.schema !== undefined) this.#useSchema(init.schema)
    this.#committer = this.#writer(init.root)
  }

  async write (values: T[]): Promise<void> {
    if (values.length === 0) return
    if (this.#fileSchema === undefined) this.#useSchema(inferRecordSchema(values))
    const groups = new Map<string, T[]>()
    const by = this.#init.partitionBy
    for (const v of values) {
      const r = v as Record<string, unknown>
      let key = ''
      for (let i = 0; i < by.length; i++) key += (i > 0 ? '/' : '') + by[i] + '=' + hivePartitionValue(r[by[i]!])
      let group = groups.get(key)
      if (group === undefined) groups.set(key, group = [])
      group.push(v)
    }
    for (const [key, group] of groups) {
      let w = this.#writers.get(key)
      if (w === undefined) {
        const dir = join(this.#init.root, key)
        try {
          await mkdir(dir, { recursive: true })
        } catch (err) {
          throw writeErrorOf(dir, err)
        }
        w = this.#writer(dir)
        this.#writers.set(key, w)
      }
      await w.write(group)
    }
  }

  async prepareCommit (checkpointId?: number): Promise<unknown[]> {
    const all: unknown[] = []
    for (const w of this.#writers.values()) all.push(...await w.prepareCommit(checkpointId))
    return all
  }

  /** Commits parts of every directory; each directory's writer acts on its own cleanup requests. */
  async commit (committables: readonly unknown[]): Promise<void> {
    const isRequest = (c: unknown): boolean => typeof c === 'object' && c !== null && 'cleanupBy' in c
    await this.#committer.commit(committables.filter(c => !isRequest(c)))
    const requests = committables.filter(isRequest)
    if (requests.length > 0) for (const w of this.#writers.values()) await w.commit(requests)
  }

  async finish (): Promise<void> {
    await this.commit(await this.prepareCommit())
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const w of this.#writers.values()) await w.close()
  }

  #useSchema (schema: DatasetSchema): void {
    for (const c of this.#init.partitionBy) {
      if (!schema.columns.some(x => x.name === c)) throw new InvalidArgumentError(`parquetSink partitionBy column '${c}' is not a column of the records (${schema.columns.map(x => `'${x.name}'`).join(', ')})`)
    }
    const columns = schema.columns.filter(c => !this.#init.partitionBy.includes(c.name))
    if (columns.length === 0) throw new InvalidArgumentError('parquetSink needs a column besides the partitionBy columns')
    this.#fileSchema = { columns }
  }

  #writer (dir: string): FileSinkWriter<T> {
    const { root: _root, partitionBy: _by, schema: _schema, parquet, ...rest } = this.#init
    return new FileSinkWriter<T>({
      ...rest,
      dir,
      extension: 'parquet',
      encoder: new ParquetEncoder<T>({ path: dir, schema: this.#fileSchema, parquet })
    })
  }
}
