/**
 * The manifest block of a dataset version (DESIGN §6): `{ type: 'meshflow-dataset', name,
 * version, schema, partitioning, partitions: [[SegmentRef]], createdAt }`, cbor-x encoded
 * like the other blocks of the mesh. Its CID is what the metadata log records for the
 * version; its segments are the blocks (or chunked values) it references.
 *
 * The manifest is one plain block, never a chunked value, because garbage collection
 * follows the references of plain blocks only (block-gc.ts): a version lists at most
 * `MAX_DATASET_SEGMENTS` segments and its encoding must fit `MAX_BLOCK_BYTES` (1 MiB); a
 * bigger one is refused with a `DatasetManifestTooLargeError` saying so.
 *
 * Decoding validates every field (type tag, name, version ≥ 1, schema, partitioning,
 * segment CIDs, counts, statistics against the column types) and throws an
 * `InvalidDatasetManifestError` naming the field, never anything else: a manifest comes
 * from the mesh, written by whoever could put a block.
 *
 * @example
 * const bytes = encodeDatasetManifest(manifest)
 * const cid = await storage.storeBlock(bytes)
 * decodeDatasetManifest(await storage.fetchBlock(cid)).partitions[0]  // the segments of partition 0
 */
import { decodeCbor, encodeCbor } from '../../../protocol/cbor.ts'
import { MAX_BLOCK_BYTES } from '../../../protocol/constants.ts'
import { cidText } from '../../../protocol/client-fields.ts'
import {
  DATASET_NAME_RULE, datasetSchema, MAX_DATASET_PARTITIONS, MAX_DATASET_SEGMENTS, partitioning
} from '../../../protocol/dataset-fields.ts'
import { errorMessage } from '../../../protocol/error-message.ts'
import {
  array, asWireObject, at, describe, fail, field, object, positiveInt, string, uint, type WireObject
} from '../../../protocol/validation.ts'
import {
  DATASET_MANIFEST_TYPE, type ColumnStats, type ColumnType, type DatasetManifest, type DatasetSchema,
  type Partitioning, type Scalar, type SegmentRef
} from './dataset-types.ts'
import { DatasetManifestTooLargeError, InvalidDatasetManifestError } from './errors.ts'

export { MAX_DATASET_SEGMENTS, MAX_DATASET_PARTITIONS } from '../../../protocol/dataset-fields.ts'

const P = 'dataset manifest'
const TOP_KEYS = new Set(['type', 'name', 'version', 'schema', 'partitioning', 'partitions', 'createdAt'])
const SEGMENT_KEYS = new Set(['cid', 'rows', 'bytes', 'stats'])
const STATS_KEYS = new Set(['min', 'max', 'nulls'])
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Encodes a manifest as its block's bytes, after checking it the way the decoder will.
 *
 * @throws {DatasetManifestTooLargeError} when it lists more than `MAX_DATASET_SEGMENTS` segments or its encoding exceeds a block (1 MiB)
 * @throws {InvalidDatasetManifestError} naming the field when the manifest is not valid
 */
export function encodeDatasetManifest (m: DatasetManifest): Uint8Array {
  const segments = m.partitions.reduce((n, p) => n + p.length, 0)
  if (segments > MAX_DATASET_SEGMENTS) {
    throw new DatasetManifestTooLargeError(`Version ${m.version} of dataset '${m.name}' lists ${segments} segments, more than the ${MAX_DATASET_SEGMENTS} a version may (its manifest is one block): write larger segments or fewer partitions`)
  }
  const bytes = encodeCbor({
    type: DATASET_MANIFEST_TYPE,
    name: m.name,
    version: m.version,
    schema: { columns: m.schema.columns.map(c => ({ name: c.name, type: c.type })) },
    partitioning: m.partitioning.kind === 'hash'
      ? { kind: 'hash', column: m.partitioning.column, partitions: m.partitioning.partitions }
      : { kind: 'round-robin', partitions: m.partitioning.partitions },
    partitions: m.partitions.map(p => p.map(s => ({ cid: s.cid, rows: s.rows, bytes: s.bytes, stats: wireStats(s.stats) }))),
    createdAt: m.createdAt
  })
  if (bytes.byteLength > MAX_BLOCK_BYTES) {
    throw new DatasetManifestTooLargeError(`The manifest of version ${m.version} of dataset '${m.name}' takes ${bytes.byteLength} bytes, more than a block (${MAX_BLOCK_BYTES}): write larger segments, fewer partitions or shorter string statistics`)
  }
  decodeDatasetManifest(bytes)
  return bytes
}

function wireStats (stats: Readonly<Record<string, ColumnStats>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, s] of Object.entries(stats)) out[k] = { min: s.min, max: s.max, nulls: s.nulls }
  return out
}

/** Whether `bytes` carry the dataset manifest type tag (checked cheaply; `decodeDatasetManifest` validates the rest). */
export function isDatasetManifest (bytes: Uint8Array): boolean {
  try {
    const v = asWireObject(decodeCbor(P, bytes))
    return v !== undefined && field(v, 'type') === DATASET_MANIFEST_TYPE
  } catch {
    return false
  }
}

/**
 * Decodes and validates a manifest block.
 *
 * @throws {InvalidDatasetManifestError} naming the field, for anything but a well-formed manifest
 */
export function decodeDatasetManifest (bytes: Uint8Array): DatasetManifest {
  try {
    return decode(bytes)
  } catch (err) {
    throw new InvalidDatasetManifestError(`Not a valid dataset manifest: ${errorMessage(err).replace(/^Malformed dataset manifest message: /, '')}`, { cause: err })
  }
}

/** The CIDs of every segment a manifest lists, each once (for replication and garbage collection). */
export function datasetManifestReferences (m: DatasetManifest): string[] {
  const cids = new Set<string>()
  for (const p of m.partitions) for (const s of p) cids.add(s.cid)
  return [...cids]
}

/** Rows and encoded bytes of a whole version. */
export function datasetManifestTotals (m: DatasetManifest): { rows: number, bytes: number, segments: number } {
  let rows = 0
  let bytes = 0
  let segments = 0
  for (const p of m.partitions) {
    for (const s of p) {
      rows += s.rows
      bytes += s.bytes
      segments++
    }
  }
  return { rows, bytes, segments }
}

function decode (bytes: Uint8Array): DatasetManifest {
  const loose = object(P, decodeCbor(P, bytes), '', TOP_KEYS)
  if (field(loose, 'type') !== DATASET_MANIFEST_TYPE) fail(P, 'type', `must be '${DATASET_MANIFEST_TYPE}', got ${describe(field(loose, 'type'))}`)
  const o = loose
  const name = string(P, o, 'name', '', DATASET_NAME_RULE)
  const version = positiveInt(P, o, 'version', '')
  const schema: DatasetSchema = datasetSchema(P, field(o, 'schema'), 'schema')
  const types = new Map<string, ColumnType>(schema.columns.map(c => [c.name, c.type]))
  const parts: Partitioning = partitioning(field(o, 'partitioning'), 'partitioning', P)
  if (parts.kind === 'hash' && !types.has(parts.column)) fail(P, 'partitioning.column', `must be a column of the schema, got ${JSON.stringify(parts.column)}`)
  const raw = array(P, o, 'partitions', '', MAX_DATASET_PARTITIONS)
  if (raw.length !== parts.partitions) fail(P, 'partitions', `must list ${parts.partitions} partitions (as partitioning says), got ${raw.length}`)
  let total = 0
  const partitions = raw.map((p, i) => {
    const path = at('partitions', i)
    if (!Array.isArray(p)) fail(P, path, `must be an array of segments, got ${describe(p)}`)
    total += p.length
    if (total > MAX_DATASET_SEGMENTS) fail(P, path, `brings the segments of the version past ${MAX_DATASET_SEGMENTS}`)
    return p.map((s: unknown, j: number) => decodeSegment(s, at(path, j), types))
  })
  return { type: DATASET_MANIFEST_TYPE, name, version, schema, partitioning: parts, partitions, createdAt: uint(P, o, 'createdAt', '') }
}

function decodeSegment (value: unknown, path: string, types: ReadonlyMap<string, ColumnType>): SegmentRef {
  const o = object(P, value, path, SEGMENT_KEYS)
  const cid = cidText(P, o, 'cid', path)
  const rows = uint(P, o, 'rows', path)
  const bytes = uint(P, o, 'bytes', path)
  const rawStats = field(o, 'stats')
  const s = asWireObject(rawStats)
  if (s === undefined) fail(P, at(path, 'stats'), `must be a map of column names to statistics, got ${describe(rawStats)}`)
  const stats: Record<string, ColumnStats> = {}
  for (const column of Object.keys(s)) {
    const type = types.get(column)
    const sp = at(at(path, 'stats'), column)
    if (type === undefined || column === '__proto__') fail(P, sp, 'is not a column of the schema')
    Object.defineProperty(stats, column, { value: decodeStats(s[column], sp, type, rows), enumerable: true, writable: true, configurable: true })
  }
  return { cid, rows, bytes, stats }
}

function decodeStats (value: unknown, path: string, type: ColumnType, rows: number): ColumnStats {
  const o = object(P, value, path, STATS_KEYS)
  const nulls = uint(P, o, 'nulls', path)
  if (nulls > rows) fail(P, at(path, 'nulls'), `must not exceed the segment's ${rows} rows, got ${nulls}`)
  const min = scalar(o, 'min', path, type)
  const max = scalar(o, 'max', path, type)
  if ((min === null) !== (max === null)) fail(P, path, 'must have both min and max, or neither (every value null)')
  if (min !== null && max !== null && min > max) fail(P, at(path, 'min'), 'must not be greater than max')
  return { min, max, nulls }
}

/** A statistic of a column of `type`: null, or a value of that type (an int64 is a bigint). */
function scalar (o: WireObject, key: string, path: string, type: ColumnType): Scalar | null {
  const v = field(o, key)
  const p = at(path, key)
  if (v === null) return null
  switch (type) {
    case 'string':
      if (typeof v !== 'string') fail(P, p, `must be a string or null for a string column, got ${describe(v)}`)
      return v
    case 'boolean':
      if (typeof v !== 'boolean') fail(P, p, `must be a boolean or null for a boolean column, got ${describe(v)}`)
      return v
    case 'number':
    case 'timestamp':
      if (typeof v !== 'number' || Number.isNaN(v)) fail(P, p, `must be a number or null for a ${type} column, got ${describe(v)}`)
      return v
    case 'int64': {
      const big = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v
      if (typeof big !== 'bigint' || big < INT64_MIN || big > INT64_MAX) fail(P, p, `must be a 64-bit integer (bigint) or null for an int64 column, got ${describe(v)}`)
      return big
    }
  }
}
