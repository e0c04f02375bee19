/**
 * The codec of the dataset messages of `/meshflow/client/1` (`client-datasets.ts`): the
 * client codec hands these types here. Encoders write declared fields only; the decoder
 * validates every field and names the one that is wrong.
 */
import { cidText } from './client-fields.ts'
import {
  DATASET_COMMIT_MODES, type DatasetDetail, type DatasetInfo, type DatasetRequest, type DatasetResponse, type DatasetVersionInfo,
  type PartitionInfo
} from './client-datasets.ts'
import {
  COMMIT_ID_RULE, DATASET_NAME_RULE, datasetSchema, MAX_DATASET_PARTITIONS, MAX_DATASET_SEGMENTS, MAX_DATASETS, MAX_RETAINED_VERSIONS, partitioning
} from './dataset-fields.ts'
import { MAX_STATUS_PEERS } from './constants.ts'
import { optional, peerId } from './peer-fields.ts'
import { array, at, bool, fail, field, object, oneOf, positiveInt, string, uint, type WireObject } from './validation.ts'

const P = 'client'

/** The `type` of every dataset message. */
export type DatasetMessageType = (DatasetRequest | DatasetResponse)['type']

/** The fields each dataset message may have. */
export const DATASET_MESSAGE_KEYS: Record<DatasetMessageType, ReadonlySet<string>> = {
  'datasets-request': new Set(['type', 'id']),
  'datasets-response': new Set(['type', 'id', 'datasets']),
  'dataset-show': new Set(['type', 'id', 'name']),
  'dataset-show-response': new Set(['type', 'id', 'dataset']),
  'dataset-commit': new Set(['type', 'id', 'name', 'manifestCid', 'expectedVersion', 'mode', 'commitId']),
  'dataset-commit-response': new Set(['type', 'id', 'name', 'version', 'cid']),
  'dataset-drop': new Set(['type', 'id', 'name']),
  'dataset-drop-response': new Set(['type', 'id', 'name'])
}

/** Every dataset message type. */
export const DATASET_MESSAGE_TYPES = Object.freeze(Object.keys(DATASET_MESSAGE_KEYS) as DatasetMessageType[])

const INFO_KEYS = new Set(['name', 'version', 'cid', 'partitions', 'rows', 'bytes', 'segments', 'versions', 'createdAt'])
const DETAIL_KEYS = new Set(['name', 'version', 'schema', 'partitioning', 'rows', 'bytes', 'createdAt', 'versions', 'partitions'])
const VERSION_KEYS = new Set(['version', 'cid', 'rows', 'bytes', 'createdAt', 'pinned'])
const PARTITION_KEYS = new Set(['partition', 'segments', 'rows', 'bytes', 'holders'])
const HOLDER_KEYS = new Set(['peer', 'segments', 'bytes'])

/** The wire value of a dataset message (declared fields only). */
export function wireDatasetMessage (m: DatasetRequest | DatasetResponse): Record<string, unknown> {
  switch (m.type) {
    case 'datasets-request':
      return { type: m.type, id: m.id }
    case 'datasets-response':
      return { type: m.type, id: m.id, datasets: m.datasets.map(d => ({ name: d.name, version: d.version, cid: d.cid, partitions: d.partitions, rows: d.rows, bytes: d.bytes, segments: d.segments, versions: d.versions, createdAt: d.createdAt })) }
    case 'dataset-show':
    case 'dataset-drop':
    case 'dataset-drop-response':
      return { type: m.type, id: m.id, name: m.name }
    case 'dataset-show-response':
      return { type: m.type, id: m.id, dataset: wireDetail(m.dataset) }
    case 'dataset-commit':
      return {
        type: m.type, id: m.id, name: m.name, manifestCid: m.manifestCid,
        ...(m.expectedVersion === undefined ? {} : { expectedVersion: m.expectedVersion }),
        ...(m.mode === undefined ? {} : { mode: m.mode }),
        ...(m.commitId === undefined ? {} : { commitId: m.commitId })
      }
    case 'dataset-commit-response':
      return { type: m.type, id: m.id, name: m.name, version: m.version, cid: m.cid }
  }
}

function wireDetail (d: DatasetDetail): Record<string, unknown> {
  return {
    name: d.name,
    version: d.version,
    schema: { columns: d.schema.columns.map(c => ({ name: c.name, type: c.type })) },
    partitioning: { ...d.partitioning },
    rows: d.rows,
    bytes: d.bytes,
    createdAt: d.createdAt,
    versions: d.versions.map(v => ({ version: v.version, cid: v.cid, rows: v.rows, bytes: v.bytes, createdAt: v.createdAt, pinned: v.pinned })),
    partitions: d.partitions.map(p => ({
      partition: p.partition, segments: p.segments, rows: p.rows, bytes: p.bytes,
      holders: p.holders.map(h => ({ peer: h.peer, segments: h.segments, bytes: h.bytes }))
    }))
  }
}

/**
 * Decodes a dataset message whose type and field names the client codec has checked.
 *
 * @throws {MalformedMessageError} naming the field
 */
export function decodeDatasetMessage (type: DatasetMessageType, o: WireObject, id: number): DatasetRequest | DatasetResponse {
  switch (type) {
    case 'datasets-request':
      return { type, id }
    case 'datasets-response': {
      const seen = new Set<string>()
      const datasets = array(P, o, 'datasets', '', MAX_DATASETS).map((v, i) => {
        const d = datasetInfo(v, at('datasets', i))
        if (seen.has(d.name)) fail(P, at(at('datasets', i), 'name'), `names ${JSON.stringify(d.name)} a second time`)
        seen.add(d.name)
        return d
      })
      return { type, id, datasets }
    }
    case 'dataset-show':
    case 'dataset-drop':
    case 'dataset-drop-response':
      return { type, id, name: string(P, o, 'name', '', DATASET_NAME_RULE) }
    case 'dataset-show-response':
      return { type, id, dataset: datasetDetail(field(o, 'dataset'), 'dataset') }
    case 'dataset-commit': {
      const expectedVersion = optional(o, 'expectedVersion', () => uint(P, o, 'expectedVersion', ''))
      const mode = optional(o, 'mode', () => oneOf(P, o, 'mode', '', DATASET_COMMIT_MODES))
      const commitId = optional(o, 'commitId', () => string(P, o, 'commitId', '', COMMIT_ID_RULE))
      return {
        type, id, name: string(P, o, 'name', '', DATASET_NAME_RULE), manifestCid: cidText(P, o, 'manifestCid', ''),
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...(mode === undefined ? {} : { mode }),
        ...(commitId === undefined ? {} : { commitId })
      }
    }
    case 'dataset-commit-response':
      return { type, id, name: string(P, o, 'name', '', DATASET_NAME_RULE), version: positiveInt(P, o, 'version', ''), cid: cidText(P, o, 'cid', '') }
  }
}

function datasetInfo (value: unknown, path: string): DatasetInfo {
  const o = object(P, value, path, INFO_KEYS)
  return {
    name: string(P, o, 'name', path, DATASET_NAME_RULE),
    version: positiveInt(P, o, 'version', path),
    cid: cidText(P, o, 'cid', path),
    partitions: positiveInt(P, o, 'partitions', path, MAX_DATASET_PARTITIONS),
    rows: uint(P, o, 'rows', path),
    bytes: uint(P, o, 'bytes', path),
    segments: uint(P, o, 'segments', path, MAX_DATASET_SEGMENTS),
    versions: positiveInt(P, o, 'versions', path, MAX_RETAINED_VERSIONS),
    createdAt: uint(P, o, 'createdAt', path)
  }
}

function datasetDetail (value: unknown, path: string): DatasetDetail {
  const o = object(P, value, path, DETAIL_KEYS)
  const schema = datasetSchema(P, field(o, 'schema'), at(path, 'schema'))
  const parts = partitioning(field(o, 'partitioning'), at(path, 'partitioning'), P)
  if (parts.kind === 'hash' && !schema.columns.some(c => c.name === parts.column)) fail(P, at(at(path, 'partitioning'), 'column'), `must be a column of the schema, got ${JSON.stringify(parts.column)}`)
  const versions = array(P, o, 'versions', path, MAX_RETAINED_VERSIONS).map((v, i) => versionInfo(v, at(at(path, 'versions'), i)))
  const version = positiveInt(P, o, 'version', path)
  if (versions.at(-1)?.version !== version) fail(P, at(path, 'versions'), `must end with the latest version ${version}`)
  const partitions = array(P, o, 'partitions', path, MAX_DATASET_PARTITIONS).map((v, i) => partitionInfo(v, at(at(path, 'partitions'), i), i))
  if (partitions.length !== parts.partitions) fail(P, at(path, 'partitions'), `must list ${parts.partitions} partitions, got ${partitions.length}`)
  return {
    name: string(P, o, 'name', path, DATASET_NAME_RULE),
    version,
    schema,
    partitioning: parts,
    rows: uint(P, o, 'rows', path),
    bytes: uint(P, o, 'bytes', path),
    createdAt: uint(P, o, 'createdAt', path),
    versions,
    partitions
  }
}

function versionInfo (value: unknown, path: string): DatasetVersionInfo {
  const o = object(P, value, path, VERSION_KEYS)
  return {
    version: positiveInt(P, o, 'version', path),
    cid: cidText(P, o, 'cid', path),
    rows: uint(P, o, 'rows', path),
    bytes: uint(P, o, 'bytes', path),
    createdAt: uint(P, o, 'createdAt', path),
    pinned: bool(P, o, 'pinned', path)
  }
}

function partitionInfo (value: unknown, path: string, index: number): PartitionInfo {
  const o = object(P, value, path, PARTITION_KEYS)
  const partition = uint(P, o, 'partition', path)
  if (partition !== index) fail(P, at(path, 'partition'), `must be ${index} (partitions are listed in order), got ${partition}`)
  const seen = new Set<string>()
  const holders = array(P, o, 'holders', path, MAX_STATUS_PEERS).map((v, i) => {
    const hp = at(at(path, 'holders'), i)
    const h = object(P, v, hp, HOLDER_KEYS)
    const peer = peerId(P, h, 'peer', hp)
    if (seen.has(peer)) fail(P, at(hp, 'peer'), `names ${JSON.stringify(peer)} a second time`)
    seen.add(peer)
    return { peer, segments: uint(P, h, 'segments', hp, MAX_DATASET_SEGMENTS), bytes: uint(P, h, 'bytes', hp) }
  })
  return { partition, segments: uint(P, o, 'segments', path, MAX_DATASET_SEGMENTS), rows: uint(P, o, 'rows', path), bytes: uint(P, o, 'bytes', path), holders }
}
