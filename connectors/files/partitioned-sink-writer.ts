/**
 * The writer of one `parquetSink({ partitionBy })` subtask: records are routed by the
 * values of the partition columns — named columns of the records, or what a function of the
 * record returns — into Hive-style directories (`store=s1/`, `dt=2024-01-31/store=rome/`),
 * each written by its own FileSinkWriter, so every partition directory gets hidden parts
 * that become visible through the same two-phase commit. The partition columns are not
 * stored in the files (the directory names hold them, as Hive, Spark and DuckDB do; DuckDB
 * reads them back with `hive_partitioning`, and so does `fileSource({ format: 'parquet' })`).
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

/** A partition value: it names a directory (`Date` as ISO-8601 text; null, undefined and '' as HIVE_NULL_PARTITION). */
export type PartitionValue = string | number | bigint | boolean | Date | null | undefined

/**
 * The partition directories of a record as an ordered object of partition column → value:
 * `r => ({ dt: r.day, store: r.store })` puts it under `dt=…/store=…/`. Every record must
 * give the same columns in the same order (the Hive layout has one directory level per
 * column, the same for every file).
 */
export type PartitionFunction<T> = (record: T) => Readonly<Record<string, PartitionValue>>

/**
 * Checks a partition column name: it becomes a directory name `name=value`, which must not
 * be hidden from readers (Spark, Hive and fileSource skip names starting with `.` or `_`)
 * nor ambiguous.
 *
 * @throws {InvalidArgumentError} when it is empty, starts with `.` or `_`, or holds `/`, `=` or `%`
 */
export function checkPartitionName (name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.startsWith('.') || name.startsWith('_') || /[/=%\\]/.test(name)) {
    throw new InvalidArgumentError(`parquetSink partition column name ${JSON.stringify(name)} is not usable as a directory name (non-empty, not starting with '.' or '_', no '/', '\\', '=' or '%')`)
  }
  return name
}

/** Directory names a writer remembers before it starts over (bounds the memory of many partitions). */
const MAX_CACHED_DIRECTORIES = 65_536

/**
 * The directory (`dt=2024-03-01/store=rome`) of each combination of partition values, kept
 * in maps keyed by the raw values (one level per column), so a record costs a few map
 * lookups and no string building or escaping (which cost as much as writing the records).
 */
class PartitionDirectories {
  readonly #names: readonly string[]
  readonly #root = new Map<unknown, unknown>()
  #size = 0

  constructor (names: readonly string[]) {
    this.#names = names
  }

  /** The directory of `values` (one per partition column, in order). */
  of (values: readonly unknown[]): string {
    let node = this.#root
    const last = values.length - 1
    for (let i = 0; i < last; i++) {
      const k = mapKey(values[i])
      let child = node.get(k) as Map<unknown, unknown> | undefined
      if (child === undefined) node.set(k, child = new Map())
      node = child
    }
    const k = mapKey(values[last])
    let dir = node.get(k) as string | undefined
    if (dir === undefined) {
      dir = ''
      for (let i = 0; i <= last; i++) dir += (i > 0 ? '/' : '') + this.#names[i]! + '=' + hivePartitionValue(values[i])
      if (this.#size >= MAX_CACHED_DIRECTORIES) {
        this.#root.clear()
        this.#size = 0
      } else {
        node.set(k, dir)
        this.#size++
      }
    }
    return dir
  }
}

/** A value as a map key: objects (Dates) by their directory text, so equal dates share one entry. */
function mapKey (v: unknown): unknown {
  return typeof v === 'object' && v !== null ? hivePartitionValue(v) : v
}

export interface PartitionedSinkWriterInit<T> extends Omit<FileSinkWriterInit<unknown>, 'dir' | 'encoder' | 'extension'> {
  /** The output directory (it exists). */
  readonly root: string
  /** Partition columns of the records, or a function giving the partition values of a record. */
  readonly partitionBy: readonly string[] | PartitionFunction<T>
  /** Every column of the records (partition columns included); default: inferred from the first batch. */
  readonly schema: DatasetSchema | undefined
  readonly parquet: ParquetWriteOptions | undefined
}

export class PartitionedSinkWriter<T> implements SinkWriter<T> {
  readonly #init: PartitionedSinkWriterInit<T>
  /** The partition columns: given, or fixed by the function's first result. */
  #names: readonly string[] | undefined
  #directories: PartitionDirectories | undefined
  /** One record's partition values (reused). */
  readonly #values: unknown[] = []
  /** The columns stored in the files: the schema without the partition columns. */
  #fileSchema: DatasetSchema | undefined
  readonly #writers = new Map<string, FileSinkWriter<T>>()
  /** Commits restored parts of any directory (a fresh attempt has no writer for them yet). */
  readonly #committer: FileSinkWriter<T>
  #closed = false

  constructor (init: PartitionedSinkWriterInit<T>) {
    this.#init = init
    if (typeof init.partitionBy !== 'function') this.#names = init.partitionBy
    this.#committer = this.#writer(init.root)
  }

  async write (values: T[]): Promise<void> {
    if (values.length === 0) return
    const groups = typeof this.#init.partitionBy === 'function' ? this.#byFunction(values, this.#init.partitionBy) : this.#byColumns(values, this.#init.partitionBy)
    if (this.#fileSchema === undefined) this.#useSchema(this.#init.schema ?? inferRecordSchema(values))
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
    // a part of a partition nothing went to in this batch rolls by age too
    if (this.#init.rollMs !== undefined) for (const w of this.#writers.values()) await w.rollIfOlder()
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

  #byColumns (values: T[], by: readonly string[]): Map<string, T[]> {
    const groups = new Map<string, T[]>()
    const directories = this.#directories ??= new PartitionDirectories(by)
    const scratch = this.#values
    scratch.length = by.length
    for (const v of values) {
      const r = v as Record<string, unknown>
      for (let i = 0; i < by.length; i++) scratch[i] = r[by[i]!]
      const key = directories.of(scratch)
      let group = groups.get(key)
      if (group === undefined) groups.set(key, group = [])
      group.push(v)
    }
    return groups
  }

  #byFunction (values: T[], fn: PartitionFunction<T>): Map<string, T[]> {
    const groups = new Map<string, T[]>()
    for (const v of values) {
      const parts = fn(v)
      if (typeof parts !== 'object' || parts === null || Array.isArray(parts)) {
        throw new InvalidArgumentError(`parquetSink partitionBy function must return an object of partition column → value, got ${parts === null ? 'null' : Array.isArray(parts) ? 'an array' : typeof parts}`)
      }
      let names = this.#names
      if (names === undefined) {
        names = Object.keys(parts).map(checkPartitionName)
        if (names.length === 0) throw new InvalidArgumentError('parquetSink partitionBy function returned no partition column')
        this.#names = names
      }
      const scratch = this.#values
      scratch.length = names.length
      let i = 0
      for (const name in parts) {
        if (names[i] !== name) throw this.#mismatch(parts)
        scratch[i++] = parts[name]
      }
      if (i !== names.length) throw this.#mismatch(parts)
      const key = (this.#directories ??= new PartitionDirectories(names)).of(scratch)
      let group = groups.get(key)
      if (group === undefined) groups.set(key, group = [])
      group.push(v)
    }
    return groups
  }

  #mismatch (parts: object): InvalidArgumentError {
    return new InvalidArgumentError(`parquetSink partitionBy function returned the columns (${Object.keys(parts).join(', ')}) after (${(this.#names ?? []).join(', ')}): every record needs the same partition columns in the same order`)
  }

  /** The file schema: `schema` without the partition columns (named columns must be in it). */
  #useSchema (schema: DatasetSchema): void {
    const names = this.#names ?? []
    if (typeof this.#init.partitionBy !== 'function') {
      for (const c of names) {
        if (!schema.columns.some(x => x.name === c)) throw new InvalidArgumentError(`parquetSink partitionBy column '${c}' is not a column of the records (${schema.columns.map(x => `'${x.name}'`).join(', ')})`)
      }
    }
    const columns = schema.columns.filter(c => !names.includes(c.name))
    if (columns.length === 0) throw new InvalidArgumentError('parquetSink needs a column besides the partition columns')
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
