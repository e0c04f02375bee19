/**
 * Checks for the dataset fields that the metadata log, the client protocol and the
 * manifest block share (DESIGN §6): dataset names, versions, and the limits of a catalog.
 *
 * @example
 * ```ts
 * datasetNameProblem('sales')     // undefined
 * datasetNameProblem('9lives')    // "must be a dataset name (a letter or _ first, then letters, digits, _ . or -; at most 128 characters), got the string \"9lives\""
 * ```
 */
import type { DatasetPartitioningRecord } from './log.ts'
import { array, at, fail, field, object, oneOf, positiveInt, string, stringValue, text, type StringRule } from './validation.ts'

/**
 * Dataset names: a letter or `_` first, then letters, digits, `_`, `.` or `-`, at most 128
 * characters in all. A name becomes part of paths (`meshflow dataset export`) and of SQL
 * later, so it stays an identifier.
 */
export const DATASET_NAME_RULE: StringRule = {
  min: 1,
  max: 128,
  pattern: /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
  expected: 'a dataset name (a letter or _ first, then letters, digits, _ . or -; at most 128 characters)'
}

/** Most partitions a dataset may have. */
export const MAX_DATASET_PARTITIONS = 4096

/**
 * Most segments one version of a dataset lists, over all its partitions: the manifest is
 * one plain block (≤ 1 MiB, so garbage collection follows its references), and a segment
 * entry takes ~100 bytes plus its statistics. Write larger segments (up to a block, or a
 * chunked value) rather than more of them.
 */
export const MAX_DATASET_SEGMENTS = 4096

/** Most datasets a `datasets-response` lists (and the catalog holds). */
export const MAX_DATASETS = 4096

/** Most versions of one dataset the catalog retains, whatever pins ask for. */
export const MAX_RETAINED_VERSIONS = 1024

/** Commit ids: 1–128 printable ASCII characters. */
export const COMMIT_ID_RULE: StringRule = { min: 1, max: 128, pattern: /^[\x21-\x7e]+$/, expected: 'a commit id (printable ASCII without spaces)' }

/** The most recent commit ids of a dataset the catalog remembers (to make retried commits idempotent). */
export const MAX_RECENT_COMMITS = 64

/** Most columns of a dataset's schema. */
export const MAX_DATASET_COLUMNS = 1024

/** Longest column name. */
export const MAX_COLUMN_NAME_LENGTH = 256

/**
 * What is wrong with `name` as a dataset name, or undefined when it is a good one (the CLI
 * and the JobManager check a name before anything else).
 */
export function datasetNameProblem (name: unknown): string | undefined {
  try {
    stringValue('dataset', name, 'name', DATASET_NAME_RULE)
    return undefined
  } catch (err) {
    return (err as Error).message.replace(/^Malformed dataset message: field 'name' /, '')
  }
}

/** The type of a column, as the wire names it (the API's `ColumnType`). */
export type ColumnTypeName = 'string' | 'number' | 'int64' | 'boolean' | 'timestamp'

/** Every {@link ColumnTypeName}. */
export const COLUMN_TYPE_NAMES: readonly ColumnTypeName[] = Object.freeze(['string', 'number', 'int64', 'boolean', 'timestamp'])

/** A dataset's schema on the wire (the API's `DatasetSchema`). */
export interface DatasetSchemaInfo {
  readonly columns: readonly { readonly name: string, readonly type: ColumnTypeName }[]
}

const SCHEMA_KEYS = new Set(['columns'])
const COLUMN_KEYS = new Set(['name', 'type'])
const PARTITIONING_KEYS = new Set(['kind', 'column', 'partitions'])
/** Column names: 1 to `MAX_COLUMN_NAME_LENGTH` characters without control characters. */
export const COLUMN_NAME_RULE = text(MAX_COLUMN_NAME_LENGTH, 1)

/** A schema: 1 to `MAX_DATASET_COLUMNS` columns, names unique. */
export function datasetSchema (protocol: string, value: unknown, path: string): DatasetSchemaInfo {
  const o = object(protocol, value, path, SCHEMA_KEYS)
  const list = array(protocol, o, 'columns', path, MAX_DATASET_COLUMNS)
  if (list.length === 0) fail(protocol, at(path, 'columns'), 'must name at least one column')
  const seen = new Set<string>()
  const columns = list.map((c, i) => {
    const cp = at(at(path, 'columns'), i)
    const col = object(protocol, c, cp, COLUMN_KEYS)
    const name = string(protocol, col, 'name', cp, COLUMN_NAME_RULE)
    if (seen.has(name)) fail(protocol, at(cp, 'name'), `names column ${JSON.stringify(name)} a second time`)
    seen.add(name)
    return { name, type: oneOf(protocol, col, 'type', cp, COLUMN_TYPE_NAMES) }
  })
  return { columns }
}

/** A dataset's partitioning: hash on a column, or round-robin, over 1 to `MAX_DATASET_PARTITIONS` partitions. */
export function partitioning (value: unknown, path: string, protocol = 'log'): DatasetPartitioningRecord {
  const o = object(protocol, value, path, PARTITIONING_KEYS)
  const kind = oneOf(protocol, o, 'kind', path, ['hash', 'round-robin'] as const)
  const partitions = positiveInt(protocol, o, 'partitions', path, MAX_DATASET_PARTITIONS)
  if (kind === 'round-robin') {
    if (field(o, 'column') !== undefined) fail(protocol, at(path, 'column'), 'must be absent for round-robin partitioning')
    return { kind, partitions }
  }
  return { kind, column: string(protocol, o, 'column', path, COLUMN_NAME_RULE), partitions }
}
