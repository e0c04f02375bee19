/**
 * Reading Hive-style partition directories back (`dt=2024-03-01/store=rome/part-0.parquet`):
 * the Parquet files under a directory, each with the partition values its path names, and
 * those values typed as the records' columns — what DuckDB's `hive_partitioning` does, and
 * the inverse of `parquetSink({ partitionBy })`.
 *
 * @example
 * await listPartitionedFiles('lake/sales')
 * // [{ path: '/…/lake/sales/dt=2024-03-01/store=rome/part-….parquet', partitions: { dt: '2024-03-01', store: 'rome' } }, …]
 * partitionValuesOf({ dt: '2024-03-01', store: null }, new Map([['dt', 'timestamp']]), 'lake/sales/dt=…')
 * // { dt: 1709251200000, store: null }
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ColumnType } from '../../node/api/dataset-schema.ts'
import { ColumnValueError, InvalidPathError, ParquetError, readErrorOf } from './errors.ts'
import { HIVE_NULL_PARTITION } from './partitioned-sink-writer.ts'
import { convertText } from './typed-values.ts'

/** A file to read and the partition values of the directories it is in (text as written; null for Hive's null). */
export interface PartitionedFile {
  readonly path: string
  readonly partitions?: Readonly<Record<string, string | null>>
}

/** `name=value` of a directory name, unescaped (`%2F` → `/`), or undefined when it is no partition directory. */
export function parseHiveDirectory (name: string): { name: string, value: string | null } | undefined {
  const eq = name.indexOf('=')
  if (eq <= 0 || name.startsWith('.') || name.startsWith('_')) return undefined
  const raw = name.slice(eq + 1)
  return { name: unescapeHive(name.slice(0, eq)), value: raw === HIVE_NULL_PARTITION ? null : unescapeHive(raw) }
}

/** Undoes Hive's `%XX` escaping of path names (a `%` not followed by two hex digits stays). */
export function unescapeHive (s: string): string {
  if (!s.includes('%')) return s
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/**
 * The files of `path` in path order: `path` itself when it is a file; else the visible
 * files of the directory and, recursively, of its visible `name=value` subdirectories,
 * each with the partition values named by the directories between `path` and it. Other
 * subdirectories are not read (as before Hive support: a directory is read flat). Names
 * starting with `.` or `_` (parts not committed yet, claims, `_SUCCESS`) are skipped.
 *
 * @throws {FileNotFoundError} when `path` does not exist
 */
export async function listPartitionedFiles (path: string): Promise<PartitionedFile[]> {
  const root = resolve(path)
  let info
  try {
    info = await stat(root)
  } catch (err) {
    throw readErrorOf(root, err)
  }
  if (info.isFile()) return [{ path: root }]
  if (!info.isDirectory()) throw new InvalidPathError(root, 'is neither a file nor a directory')
  const out: PartitionedFile[] = []
  const walk = async (dir: string, partitions: Record<string, string | null> | undefined): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      throw readErrorOf(dir, err)
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue
      const p = join(dir, e.name)
      // follow links; a dangling one is skipped like any other entry
      const kind = e.isSymbolicLink() ? await stat(p).then(s => s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other', () => 'other') : e.isFile() ? 'file' : e.isDirectory() ? 'dir' : 'other'
      if (kind === 'file') out.push(partitions === undefined ? { path: p } : { path: p, partitions })
      else if (kind === 'dir') {
        const part = parseHiveDirectory(e.name)
        if (part !== undefined) await walk(p, { ...partitions, [part.name]: part.value })
      }
    }
  }
  await walk(root, undefined)
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
}

/**
 * Partition values as record values: typed by `types` (the column types of the source's
 * schema: `int64` → bigint, `timestamp` → epoch ms from ISO-8601 text or epoch ms, …),
 * strings for columns it does not name. Hive's null directory is null.
 *
 * @throws {ParquetError} naming `where` and the column when a value does not convert to its type
 */
export function partitionValuesOf (partitions: Readonly<Record<string, string | null>>, types: ReadonlyMap<string, ColumnType>, where: string): Record<string, string | number | bigint | boolean | null> {
  const values: Record<string, string | number | bigint | boolean | null> = {}
  for (const name of Object.keys(partitions)) {
    const text = partitions[name]
    const type = types.get(name)
    if (text === null || text === undefined) values[name] = null
    else if (type === undefined || type === 'string') values[name] = text
    else {
      try {
        values[name] = convertText(type, text, name)
      } catch (err) {
        if (err instanceof ColumnValueError) throw new ParquetError(where, `partition directory ${name}=${text}: ${err.message}`, { cause: err })
        throw err
      }
    }
  }
  return values
}

/**
 * What to read of a file: the columns asked for that are not partition columns of its
 * directories (all of them when only partition columns are asked for: the rows still count).
 */
export function fileReadOptions (columns: readonly string[] | undefined, partitions: Readonly<Record<string, unknown>> | undefined): { columns?: readonly string[] } {
  if (columns === undefined) return {}
  const own = partitions === undefined ? columns : columns.filter(c => !Object.hasOwn(partitions, c))
  return own.length === 0 ? {} : { columns: own }
}
