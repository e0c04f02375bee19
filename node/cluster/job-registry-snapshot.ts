/**
 * The job registry as a Raft snapshot (the state machine's bytes, Raft §7): every job
 * record, every savepoint and the index of the last applied entry, cbor-encoded with a
 * format version. Decoding validates every field the way a wire decoder does, so a corrupt
 * or foreign snapshot is an `InvalidRegistrySnapshotError` naming the field, never a
 * registry in a state no log could have produced.
 *
 * Version 1: `{ v: 1, applied, jobs: JobRecord[], savepoints: SavepointRecord[] }`, a job's
 * `finishedPeers` as an array, absent optional fields omitted. Version 2 adds the dataset
 * catalog (`datasets: DatasetRecord[]`) and a job's `datasets` (the versions it reads). A
 * registry without datasets is still written as version 1, so a peer of the previous
 * release reads it; this decoder reads both and refuses versions it does not know.
 *
 * @example
 * const bytes = encodeRegistrySnapshot(registry.snapshot())
 * other.restore(decodeRegistrySnapshot(bytes))
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import {
  MAX_ID_LENGTH, MAX_JOB_ARG_KEY_LENGTH, MAX_JOB_ARG_VALUE_LENGTH, MAX_JOB_ARGS, MAX_JOB_NAME_LENGTH, MAX_JOB_TASKS,
  MAX_MESSAGE_LENGTH, MAX_PARALLELISM, MAX_SUBTASK
} from '../../protocol/constants.ts'
import {
  array, asWireObject, at, bool, describe, fail, field, object, oneOf, PEER_ID_RULE, printable, string, text, uint,
  type WireObject
} from '../../protocol/validation.ts'
import type { RestartStrategy } from '../api/stream-environment.ts'
import { InvalidRegistrySnapshotError } from './errors.ts'
import type { BatchRecord, CheckpointRef, JobRecord, JobState, RegionRecord, SavepointRecord } from './job-registry.ts'
import type { TaskAssignment } from './scheduler.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { DatasetCatalogState, DatasetRecord } from './dataset-catalog.ts'
import { partitioning } from '../../protocol/dataset-fields.ts'
import { COMMIT_ID_RULE, DATASET_NAME_RULE, MAX_DATASET_SEGMENTS, MAX_DATASETS, MAX_RECENT_COMMITS, MAX_RETAINED_VERSIONS } from '../../protocol/dataset-fields.ts'
import { MAX_JOB_DATASETS } from '../../protocol/log-codec.ts'
import { SCAN_TASK_KEYS, scanFields, wireScanFields } from '../../protocol/task-fields.ts'

/** The registry's state as `JobRegistry.snapshot()` exports it and `restore` takes it. */
export interface RegistryState {
  readonly applied: number
  readonly jobs: readonly JobRecord[]
  readonly savepoints: readonly SavepointRecord[]
  /** The dataset catalog (none in a version 1 snapshot). */
  readonly datasets?: DatasetCatalogState
}

/** The snapshot format this version writes when the registry holds datasets (1 when it holds none). */
export const REGISTRY_SNAPSHOT_VERSION = 2

const P = 'registry-snapshot'
const MAX_JOBS = 1_000_000
const MAX_SAVEPOINTS = 1_000_000
const MAX_RESTORE_HISTORY = 10_000
const MAX_PEERS = 65_536
const STATES: readonly JobState[] = ['CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED']
const keys = (...k: string[]): ReadonlySet<string> => new Set(k)
const TOP_KEYS = keys('v', 'applied', 'jobs', 'savepoints', 'datasets')
const DATASET_KEYS = keys('name', 'partitioning', 'segments', 'versions', 'commits')
const COMMIT_KEYS = keys('id', 'version', 'cid')
const VERSION_KEYS = keys('version', 'cid', 'rows', 'bytes', 'createdAt')
const JOB_KEYS = keys('id', 'name', 'codeCid', 'args', 'parallelism', 'maxParallelism', 'codeHolders', 'submittedAt', 'state',
  'attempt', 'restarts', 'tasks', 'incarnations', 'error', 'finishedPeers', 'checkpointIntervalMs', 'checkpointTimeoutMs', 'restartStrategy',
  'allowNonRestoredState', 'restore', 'checkpoints', 'retained', 'stopping', 'restoreHistory', 'datasets', 'batch')
const BATCH_KEYS = keys('regions', 'reruns')
const REGION_KEYS = keys('stage', 'state', 'attempt', 'peer', 'tasks', 'result', 'recordsIn', 'recordsOut')
const REGION_STATES = ['PENDING', 'RUNNING', 'FINISHED'] as const
const TASK_KEYS = keys('vertex', 'subtask', 'peer', ...SCAN_TASK_KEYS)
const REF_KEYS = keys('checkpointId', 'cid')
const COUNT_KEYS = keys('completed', 'latest')
const LATEST_KEYS = keys('id', 'cid', 'at')
const HISTORY_KEYS = keys('attempt', 'checkpointId', 'at')
const SAVEPOINT_KEYS = keys('name', 'jobId', 'jobName', 'checkpointId', 'cid', 'createdAt')
const STRATEGY_KEYS = keys('kind', 'attempts', 'delayMs', 'initialDelayMs', 'maxDelayMs')
const ID = printable(MAX_ID_LENGTH)

/** Encodes the registry's state (see the file comment for the format). */
export function encodeRegistrySnapshot (state: RegistryState): Uint8Array {
  const datasets = state.datasets ?? []
  const v2 = datasets.length > 0 || state.jobs.some(j => j.datasets !== undefined || j.batch !== undefined)
  return encodeCbor({
    v: v2 ? REGISTRY_SNAPSHOT_VERSION : 1,
    applied: state.applied,
    jobs: state.jobs.map(wireJob),
    savepoints: state.savepoints.map(s => ({ name: s.name, jobId: s.jobId, jobName: s.jobName, checkpointId: s.checkpointId, cid: s.cid, createdAt: s.createdAt })),
    ...(v2 ? { datasets: datasets.map(wireDataset) } : {})
  })
}

function wireDataset (d: DatasetRecord): object {
  return {
    name: d.name,
    partitioning: { ...d.partitioning },
    segments: d.segments,
    versions: d.versions.map(v => ({ version: v.version, cid: v.cid, rows: v.rows, bytes: v.bytes, createdAt: v.createdAt })),
    commits: d.commits.map(c => ({ id: c.id, version: c.version, cid: c.cid }))
  }
}

function wireJob (j: JobRecord): object {
  return omitUndefined({
    id: j.id,
    name: j.name,
    codeCid: j.codeCid,
    args: { ...j.args },
    parallelism: j.parallelism,
    maxParallelism: j.maxParallelism,
    codeHolders: [...j.codeHolders],
    submittedAt: j.submittedAt,
    state: j.state,
    attempt: j.attempt,
    restarts: j.restarts,
    tasks: j.tasks.map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer, ...wireScanFields(t) })),
    incarnations: j.incarnations === undefined ? undefined : { ...j.incarnations },
    error: j.error,
    finishedPeers: [...j.finishedPeers],
    checkpointIntervalMs: j.checkpointIntervalMs,
    checkpointTimeoutMs: j.checkpointTimeoutMs,
    restartStrategy: j.restartStrategy === undefined ? undefined : { ...j.restartStrategy },
    allowNonRestoredState: j.allowNonRestoredState,
    restore: j.restore === undefined ? undefined : ref(j.restore),
    checkpoints: omitUndefined({ completed: j.checkpoints.completed, latest: j.checkpoints.latest === undefined ? undefined : { ...j.checkpoints.latest } }),
    retained: j.retained.map(ref),
    stopping: j.stopping,
    restoreHistory: j.restoreHistory.map(h => ({ attempt: h.attempt, checkpointId: h.checkpointId, at: h.at })),
    datasets: j.datasets === undefined ? undefined : { ...j.datasets },
    batch: j.batch === undefined ? undefined : { regions: j.batch.regions.map(r => omitUndefined({ ...r })), reruns: j.batch.reruns }
  })
}

const ref = (r: CheckpointRef): object => ({ checkpointId: r.checkpointId, cid: r.cid })

function omitUndefined (o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

/**
 * Decodes and validates a registry snapshot.
 *
 * @param index when given, the Raft index the snapshot stands for: its `applied` must match
 * @throws {InvalidRegistrySnapshotError} naming what is wrong (not CBOR, unknown version, a field)
 */
export function decodeRegistrySnapshot (bytes: Uint8Array, index?: number): RegistryState {
  let state: RegistryState
  try {
    const o = object(P, decodeCbor(P, bytes), '', TOP_KEYS)
    const v = uint(P, o, 'v', '')
    if (v !== 1 && v !== REGISTRY_SNAPSHOT_VERSION) fail(P, 'v', `must be 1 or ${REGISTRY_SNAPSHOT_VERSION} (the formats this version reads), got ${v}`)
    if (v === 1 && field(o, 'datasets') !== undefined) fail(P, 'datasets', 'is not a field of a version 1 snapshot')
    const applied = uint(P, o, 'applied', '')
    const jobs = array(P, o, 'jobs', '', MAX_JOBS).map((j, i) => decodeJob(j, at('jobs', i)))
    const seen = new Set<string>()
    jobs.forEach((j, i) => {
      if (seen.has(j.id)) fail(P, at(at('jobs', i), 'id'), `names job ${JSON.stringify(j.id)} a second time`)
      seen.add(j.id)
    })
    const names = new Set<string>()
    const savepoints = array(P, o, 'savepoints', '', MAX_SAVEPOINTS).map((s, i) => {
      const sp = decodeSavepoint(s, at('savepoints', i))
      if (names.has(sp.name)) fail(P, at(at('savepoints', i), 'name'), `names savepoint ${JSON.stringify(sp.name)} a second time`)
      names.add(sp.name)
      return sp
    })
    const datasets = v === 1 ? [] : decodeDatasets(o)
    state = { applied, jobs, savepoints, datasets }
  } catch (err) {
    throw new InvalidRegistrySnapshotError(errorMessage(err), { cause: err })
  }
  if (index !== undefined && state.applied !== index) {
    throw new InvalidRegistrySnapshotError(`it was taken after entry ${state.applied}, but stands for entry ${index}`)
  }
  return state
}

function decodeJob (value: unknown, path: string): JobRecord {
  const o = object(P, value, path, JOB_KEYS)
  const optUint = (key: string): number | undefined => field(o, key) === undefined ? undefined : uint(P, o, key, path)
  const state = oneOf(P, o, 'state', path, STATES)
  const restore = field(o, 'restore') === undefined ? undefined : decodeRef(field(o, 'restore'), at(path, 'restore'))
  const error = field(o, 'error') === undefined ? undefined : string(P, o, 'error', path, text(MAX_MESSAGE_LENGTH))
  const strategy = field(o, 'restartStrategy') === undefined ? undefined : decodeStrategy(field(o, 'restartStrategy'), at(path, 'restartStrategy'))
  const maxParallelism = field(o, 'maxParallelism') === undefined ? undefined : uint(P, o, 'maxParallelism', path, MAX_PARALLELISM)
  const checkpoints = object(P, field(o, 'checkpoints'), at(path, 'checkpoints'), COUNT_KEYS)
  const latestRaw = field(checkpoints, 'latest')
  let latest: { id: number, cid: string, at: number } | undefined
  if (latestRaw !== undefined) {
    const lp = at(at(path, 'checkpoints'), 'latest')
    const l = object(P, latestRaw, lp, LATEST_KEYS)
    latest = { id: uint(P, l, 'id', lp), cid: string(P, l, 'cid', lp, ID), at: uint(P, l, 'at', lp) }
  }
  const job: JobRecord = {
    id: string(P, o, 'id', path, ID),
    name: string(P, o, 'name', path, text(MAX_JOB_NAME_LENGTH, 1)),
    codeCid: string(P, o, 'codeCid', path, ID),
    args: decodeArgs(field(o, 'args'), at(path, 'args')),
    parallelism: uint(P, o, 'parallelism', path, MAX_PARALLELISM),
    maxParallelism,
    codeHolders: peers(o, 'codeHolders', path),
    submittedAt: uint(P, o, 'submittedAt', path),
    state,
    attempt: uint(P, o, 'attempt', path),
    restarts: uint(P, o, 'restarts', path),
    tasks: array(P, o, 'tasks', path, MAX_JOB_TASKS).map((t, i) => decodeTask(t, at(at(path, 'tasks'), i))),
    incarnations: field(o, 'incarnations') === undefined ? undefined : decodeIncarnations(field(o, 'incarnations'), at(path, 'incarnations')),
    error,
    finishedPeers: new Set(peers(o, 'finishedPeers', path)),
    checkpointIntervalMs: optUint('checkpointIntervalMs'),
    checkpointTimeoutMs: optUint('checkpointTimeoutMs'),
    restartStrategy: strategy,
    allowNonRestoredState: bool(P, o, 'allowNonRestoredState', path),
    restore,
    checkpoints: latest === undefined ? { completed: uint(P, checkpoints, 'completed', at(path, 'checkpoints')) } : { completed: uint(P, checkpoints, 'completed', at(path, 'checkpoints')), latest },
    retained: array(P, o, 'retained', path, MAX_RESTORE_HISTORY).map((r, i) => decodeRef(r, at(at(path, 'retained'), i))),
    stopping: bool(P, o, 'stopping', path),
    restoreHistory: array(P, o, 'restoreHistory', path, MAX_RESTORE_HISTORY).map((h, i) => {
      const hp = at(at(path, 'restoreHistory'), i)
      const x = object(P, h, hp, HISTORY_KEYS)
      const id = field(x, 'checkpointId')
      return { attempt: uint(P, x, 'attempt', hp), checkpointId: id === null ? null : uint(P, x, 'checkpointId', hp), at: uint(P, x, 'at', hp) }
    }),
    ...(field(o, 'datasets') === undefined ? {} : { datasets: decodeJobDatasets(field(o, 'datasets'), at(path, 'datasets')) }),
    ...(field(o, 'batch') === undefined ? {} : { batch: decodeBatch(field(o, 'batch'), at(path, 'batch')) })
  }
  return job
}

/** A batch job's regions. */
function decodeBatch (value: unknown, path: string): BatchRecord {
  const o = object(P, value, path, BATCH_KEYS)
  const regions = array(P, o, 'regions', path, MAX_JOB_TASKS).map((v, i): RegionRecord => {
    const rp = at(at(path, 'regions'), i)
    const r = object(P, v, rp, REGION_KEYS)
    return {
      stage: uint(P, r, 'stage', rp),
      state: oneOf(P, r, 'state', rp, REGION_STATES),
      attempt: uint(P, r, 'attempt', rp),
      peer: field(r, 'peer') === undefined ? undefined : string(P, r, 'peer', rp, ID),
      tasks: field(r, 'tasks') === undefined ? undefined : array(P, r, 'tasks', rp, MAX_JOB_TASKS).map((t, k) => decodeTask(t, at(at(rp, 'tasks'), k))),
      result: field(r, 'result') === undefined ? undefined : string(P, r, 'result', rp, ID),
      recordsIn: uint(P, r, 'recordsIn', rp),
      recordsOut: uint(P, r, 'recordsOut', rp)
    }
  })
  return { regions, reruns: uint(P, o, 'reruns', path) }
}

function decodeJobDatasets (value: unknown, path: string): Record<string, number> {
  const o = asWireObject(value)
  if (o === undefined) fail(P, path, `must be a map of dataset names to versions, got ${describe(value)}`)
  const names = Object.keys(o)
  if (names.length > MAX_JOB_DATASETS) fail(P, path, `must name at most ${MAX_JOB_DATASETS} datasets, got ${names.length}`)
  const out: Record<string, number> = {}
  for (const k of names) {
    if (!DATASET_NAME_RULE.pattern!.test(k)) fail(P, path, `must have dataset names as keys, got ${describe(k)}`)
    Object.defineProperty(out, k, { value: uint(P, o, k, path), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** The dataset catalog of a version 2 snapshot: each name once, versions ascending. */
function decodeDatasets (o: WireObject): DatasetRecord[] {
  const seen = new Set<string>()
  return array(P, o, 'datasets', '', MAX_DATASETS).map((value, i) => {
    const path = at('datasets', i)
    const d = object(P, value, path, DATASET_KEYS)
    const name = string(P, d, 'name', path, DATASET_NAME_RULE)
    if (seen.has(name)) fail(P, at(path, 'name'), `names dataset ${JSON.stringify(name)} a second time`)
    seen.add(name)
    let previous = 0
    const versions = array(P, d, 'versions', path, MAX_RETAINED_VERSIONS).map((x, j) => {
      const vp = at(at(path, 'versions'), j)
      const r = object(P, x, vp, VERSION_KEYS)
      const version = uint(P, r, 'version', vp)
      if (version <= previous) fail(P, at(vp, 'version'), `must be greater than the version before (${previous}), got ${version}`)
      previous = version
      return { version, cid: string(P, r, 'cid', vp, ID), rows: uint(P, r, 'rows', vp), bytes: uint(P, r, 'bytes', vp), createdAt: uint(P, r, 'createdAt', vp) }
    })
    if (versions.length === 0) fail(P, at(path, 'versions'), 'must hold at least the latest version')
    const commits = array(P, d, 'commits', path, MAX_RECENT_COMMITS).map((x, j) => {
      const cp = at(at(path, 'commits'), j)
      const r = object(P, x, cp, COMMIT_KEYS)
      return { id: string(P, r, 'id', cp, COMMIT_ID_RULE), version: uint(P, r, 'version', cp), cid: string(P, r, 'cid', cp, ID) }
    })
    return { name, partitioning: partitioning(field(d, 'partitioning'), at(path, 'partitioning'), P), segments: uint(P, d, 'segments', path, MAX_DATASET_SEGMENTS), versions, commits }
  })
}

function peers (o: WireObject, key: string, path: string): string[] {
  return array(P, o, key, path, MAX_PEERS).map((v, i) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > PEER_ID_RULE.max) fail(P, at(at(path, key), i), `must be a peer id, got ${describe(v)}`)
    return v
  })
}

function decodeIncarnations (value: unknown, path: string): Record<string, number> {
  const o = asWireObject(value)
  if (o === undefined) fail(P, path, `must be a map of peer ids to start times, got ${describe(value)}`)
  const keys = Object.keys(o)
  if (keys.length > MAX_PEERS) fail(P, path, `must name at most ${MAX_PEERS} peers, got ${keys.length}`)
  const out: Record<string, number> = {}
  for (const k of keys) {
    if (k.length === 0 || k.length > PEER_ID_RULE.max || k === '__proto__') fail(P, path, `must have peer ids as keys, got ${describe(k)}`)
    Object.defineProperty(out, k, { value: uint(P, o, k, path), enumerable: true, writable: true, configurable: true })
  }
  return out
}

function decodeTask (value: unknown, path: string): TaskAssignment {
  const o = object(P, value, path, TASK_KEYS)
  return { vertex: string(P, o, 'vertex', path, ID), subtask: uint(P, o, 'subtask', path, MAX_SUBTASK), peer: string(P, o, 'peer', path, PEER_ID_RULE), ...scanFields(P, o, path) }
}

function decodeRef (value: unknown, path: string): CheckpointRef {
  const o = object(P, value, path, REF_KEYS)
  return { checkpointId: uint(P, o, 'checkpointId', path), cid: string(P, o, 'cid', path, ID) }
}

function decodeArgs (value: unknown, path: string): Readonly<Record<string, string>> {
  const o = asWireObject(value)
  if (o === undefined) fail(P, path, `must be a map of strings, got ${describe(value)}`)
  const entries = Object.entries(o)
  if (entries.length > MAX_JOB_ARGS) fail(P, path, `must have at most ${MAX_JOB_ARGS} arguments, got ${entries.length}`)
  const args: Record<string, string> = {}
  for (const [k, v] of entries) {
    if (k.length > MAX_JOB_ARG_KEY_LENGTH) fail(P, at(path, k.slice(0, 40)), `is a name longer than ${MAX_JOB_ARG_KEY_LENGTH}`)
    if (typeof v !== 'string' || v.length > MAX_JOB_ARG_VALUE_LENGTH) fail(P, at(path, k), `must be a string of at most ${MAX_JOB_ARG_VALUE_LENGTH} characters, got ${describe(v)}`)
    args[k] = v
  }
  return args
}

function decodeStrategy (value: unknown, path: string): RestartStrategy {
  const o = object(P, value, path, STRATEGY_KEYS)
  const kind = oneOf(P, o, 'kind', path, ['none', 'fixed-delay', 'exponential-delay'] as const)
  switch (kind) {
    case 'none': return { kind }
    case 'fixed-delay': return { kind, attempts: uint(P, o, 'attempts', path), delayMs: uint(P, o, 'delayMs', path) }
    case 'exponential-delay': {
      const attempts = field(o, 'attempts') === undefined ? undefined : uint(P, o, 'attempts', path)
      const base = { kind, initialDelayMs: uint(P, o, 'initialDelayMs', path), maxDelayMs: uint(P, o, 'maxDelayMs', path) }
      return attempts === undefined ? base : { ...base, attempts }
    }
  }
}

function decodeSavepoint (value: unknown, path: string): SavepointRecord {
  const o = object(P, value, path, SAVEPOINT_KEYS)
  return {
    name: string(P, o, 'name', path, text(MAX_JOB_NAME_LENGTH, 1)),
    jobId: string(P, o, 'jobId', path, ID),
    jobName: string(P, o, 'jobName', path, text(MAX_JOB_NAME_LENGTH, 1)),
    checkpointId: uint(P, o, 'checkpointId', path),
    cid: string(P, o, 'cid', path, ID),
    createdAt: uint(P, o, 'createdAt', path)
  }
}
