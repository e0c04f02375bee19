/**
 * Validation of metadata log commands (`log.ts`): `decodeLogCommand` takes the value of a
 * Raft `command` entry (already CBOR-decoded and checked to be plain data by the Raft
 * codec) and returns a typed copy built from checked fields only, or throws a
 * `MalformedMessageError` naming the field. The JobManager runs it on every command before
 * proposing it; every peer runs it on every committed entry before applying it.
 *
 * @example
 * ```ts
 * decodeLogCommand({ op: 'delete-savepoint', name: 'before-v2' }) // { op: 'delete-savepoint', name: 'before-v2' }
 * decodeLogCommand({ op: 'submit-job', junk: true })              // throws: field 'junk' is not a field of this message
 * ```
 */
import { JOB_STATES } from './client.ts'
import { cidText, ERROR_RULE, ID_RULE, JOB_NAME_RULE, jobArgs, SAVEPOINT_NAME_RULE } from './client-fields.ts'
import { MAX_JOB_TASKS, MAX_PARALLELISM, MAX_SLOTS, MAX_SUBTASK } from './constants.ts'
import type {
  CheckpointRecordRef, Incarnations, LogCommand, LogCommandOp, RestartStrategyRecord, TaskAssignment
} from './log.ts'
import { COMMIT_ID_RULE, DATASET_NAME_RULE, MAX_DATASET_SEGMENTS, partitioning } from './dataset-fields.ts'
import { optional, peerId } from './peer-fields.ts'
import { SCAN_TASK_KEYS, scanFields } from './task-fields.ts'
import {
  array, asWireObject, at, bool, describe, fail, field, object, oneOf, PEER_ID_RULE, positiveInt, string, stringValue, text, uint, type WireObject
} from './validation.ts'

const P = 'log'

/** The longest text of a `marker` command. */
export const MAX_MARKER_LENGTH = 256
/** The most peers a job's code may be recorded on. */
const MAX_CODE_HOLDERS = 64

/** The `op` of every log command. */
export const LOG_COMMAND_OPS: readonly LogCommandOp[] = Object.freeze([
  'submit-job', 'job-state', 'task-finished', 'checkpoint-completed', 'restart-job', 'delete-savepoint', 'dataset-commit', 'dataset-drop', 'marker', 'batch-regions'
])

/** The most regions a batch job may have. */
export const MAX_BATCH_REGIONS = MAX_JOB_TASKS
const REGION_STATES = ['PENDING', 'RUNNING', 'FINISHED'] as const
const UPDATE_KEYS = new Set(['region', 'state', 'attempt', 'peer', 'tasks', 'result', 'recordsIn', 'recordsOut'])

/** The most datasets one job may read (and pin). */
export const MAX_JOB_DATASETS = 64

const KEYS: Record<LogCommandOp, ReadonlySet<string>> = {
  'submit-job': new Set(['op', 'jobId', 'name', 'codeCid', 'args', 'parallelism', 'maxParallelism', 'codeHolders', 'attempt', 'tasks',
    'submittedAt', 'checkpointIntervalMs', 'checkpointTimeoutMs', 'restartStrategy', 'restore', 'allowNonRestoredState', 'incarnations', 'datasets', 'batchRegions']),
  'batch-regions': new Set(['op', 'jobId', 'updates', 'reason']),
  'job-state': new Set(['op', 'jobId', 'state', 'error']),
  'task-finished': new Set(['op', 'jobId', 'attempt', 'peer']),
  'checkpoint-completed': new Set(['op', 'jobId', 'attempt', 'checkpointId', 'cid', 'final', 'savepoint', 'stop', 'at']),
  'restart-job': new Set(['op', 'jobId', 'attempt', 'tasks', 'restore', 'incarnations', 'reason', 'at']),
  'delete-savepoint': new Set(['op', 'name']),
  'dataset-commit': new Set(['op', 'name', 'version', 'cid', 'rows', 'bytes', 'segments', 'partitioning', 'createdAt', 'commitId']),
  'dataset-drop': new Set(['op', 'name']),
  marker: new Set(['op', 'text'])
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))
const TASK_KEYS = new Set(['vertex', 'subtask', 'peer', ...SCAN_TASK_KEYS])
const REF_KEYS = new Set(['checkpointId', 'cid'])
const STRATEGY_KEYS = new Set(['kind', 'attempts', 'delayMs', 'initialDelayMs', 'maxDelayMs'])
const STRATEGY_KINDS = ['none', 'fixed-delay', 'exponential-delay'] as const

/**
 * Validates a log command and returns a copy of its declared fields.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed command
 */
export function decodeLogCommand (value: unknown): LogCommand {
  const loose = object(P, value, '', ANY_KEYS)
  const op = oneOf(P, loose, 'op', '', LOG_COMMAND_OPS)
  const o = object(P, loose, '', KEYS[op])
  switch (op) {
    case 'submit-job': {
      const parallelism = positiveInt(P, o, 'parallelism', '', MAX_SLOTS)
      const maxParallelism = optional(o, 'maxParallelism', () => positiveInt(P, o, 'maxParallelism', '', MAX_PARALLELISM))
      if (maxParallelism !== undefined && parallelism > maxParallelism) fail(P, 'parallelism', `must not exceed maxParallelism (${maxParallelism}), got ${parallelism}`)
      const codeHolders = array(P, o, 'codeHolders', '', MAX_CODE_HOLDERS).map((v, i) => stringValue(P, v, at('codeHolders', i), PEER_ID_RULE))
      const checkpointIntervalMs = optional(o, 'checkpointIntervalMs', () => positiveInt(P, o, 'checkpointIntervalMs', ''))
      const checkpointTimeoutMs = optional(o, 'checkpointTimeoutMs', () => positiveInt(P, o, 'checkpointTimeoutMs', ''))
      const restartStrategy = optional(o, 'restartStrategy', () => strategy(field(o, 'restartStrategy'), 'restartStrategy'))
      const restore = optional(o, 'restore', () => checkpointRef(field(o, 'restore'), 'restore'))
      const allowNonRestoredState = optional(o, 'allowNonRestoredState', () => bool(P, o, 'allowNonRestoredState', ''))
      const placedOn = optional(o, 'incarnations', () => incarnations(o))
      const datasets = optional(o, 'datasets', () => datasetVersions(o, 'datasets'))
      const batchRegions = optional(o, 'batchRegions', () => {
        const list = array(P, o, 'batchRegions', '', MAX_BATCH_REGIONS)
        if (list.length === 0) fail(P, 'batchRegions', 'must name at least one region')
        return list.map((v, i) => {
          if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= MAX_BATCH_REGIONS) fail(P, at('batchRegions', i), `must be a stage index, got ${describe(v)}`)
          return v
        })
      })
      return {
        op,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        name: string(P, o, 'name', '', JOB_NAME_RULE),
        codeCid: cidText(P, o, 'codeCid', ''),
        args: jobArgs(P, o, 'args'),
        parallelism,
        maxParallelism,
        codeHolders,
        attempt: uint(P, o, 'attempt', ''),
        tasks: tasks(o, 'tasks', batchRegions !== undefined),
        submittedAt: uint(P, o, 'submittedAt', ''),
        ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
        ...(checkpointTimeoutMs === undefined ? {} : { checkpointTimeoutMs }),
        ...(restartStrategy === undefined ? {} : { restartStrategy }),
        ...(restore === undefined ? {} : { restore }),
        ...(allowNonRestoredState === undefined ? {} : { allowNonRestoredState }),
        ...(placedOn === undefined ? {} : { incarnations: placedOn }),
        ...(datasets === undefined ? {} : { datasets }),
        ...(batchRegions === undefined ? {} : { batchRegions })
      }
    }
    case 'batch-regions': {
      const reason = optional(o, 'reason', () => string(P, o, 'reason', '', ERROR_RULE))
      const list = array(P, o, 'updates', '', MAX_BATCH_REGIONS)
      if (list.length === 0) fail(P, 'updates', 'must name at least one region')
      const updates = list.map((v, i) => {
        const path = at('updates', i)
        const u = object(P, v, path, UPDATE_KEYS)
        const peer = optional(u, 'peer', () => peerId(P, u, 'peer', path))
        const result = optional(u, 'result', () => cidText(P, u, 'result', path))
        const placed = optional(u, 'tasks', () => tasks(u, 'tasks', true))
        const recordsIn = optional(u, 'recordsIn', () => uint(P, u, 'recordsIn', path))
        const recordsOut = optional(u, 'recordsOut', () => uint(P, u, 'recordsOut', path))
        const state = oneOf(P, u, 'state', path, REGION_STATES)
        if (state !== 'PENDING' && peer === undefined) fail(P, at(path, 'peer'), `is needed for a ${state} region`)
        if (state === 'FINISHED' && result === undefined) fail(P, at(path, 'result'), 'is needed for a FINISHED region')
        return {
          region: uint(P, u, 'region', path, MAX_BATCH_REGIONS - 1),
          state,
          attempt: uint(P, u, 'attempt', path),
          ...(peer === undefined ? {} : { peer }),
          ...(placed === undefined ? {} : { tasks: placed }),
          ...(result === undefined ? {} : { result }),
          ...(recordsIn === undefined ? {} : { recordsIn }),
          ...(recordsOut === undefined ? {} : { recordsOut })
        }
      })
      return { op, jobId: string(P, o, 'jobId', '', ID_RULE), updates, ...(reason === undefined ? {} : { reason }) }
    }
    case 'job-state': {
      const error = optional(o, 'error', () => string(P, o, 'error', '', ERROR_RULE))
      return { op, jobId: string(P, o, 'jobId', '', ID_RULE), state: oneOf(P, o, 'state', '', JOB_STATES), ...(error === undefined ? {} : { error }) }
    }
    case 'task-finished':
      return { op, jobId: string(P, o, 'jobId', '', ID_RULE), attempt: uint(P, o, 'attempt', ''), peer: peerId(P, o, 'peer', '') }
    case 'checkpoint-completed': {
      const savepoint = optional(o, 'savepoint', () => string(P, o, 'savepoint', '', SAVEPOINT_NAME_RULE))
      const stop = optional(o, 'stop', () => bool(P, o, 'stop', ''))
      return {
        op,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        checkpointId: positiveInt(P, o, 'checkpointId', ''),
        cid: cidText(P, o, 'cid', ''),
        final: bool(P, o, 'final', ''),
        ...(savepoint === undefined ? {} : { savepoint }),
        ...(stop === undefined ? {} : { stop }),
        at: uint(P, o, 'at', '')
      }
    }
    case 'restart-job': {
      const restore = optional(o, 'restore', () => checkpointRef(field(o, 'restore'), 'restore'))
      const placedOn = optional(o, 'incarnations', () => incarnations(o))
      return {
        op,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: positiveInt(P, o, 'attempt', ''),
        tasks: tasks(o, 'tasks'),
        ...(restore === undefined ? {} : { restore }),
        ...(placedOn === undefined ? {} : { incarnations: placedOn }),
        reason: string(P, o, 'reason', '', ERROR_RULE),
        at: uint(P, o, 'at', '')
      }
    }
    case 'delete-savepoint':
      return { op, name: string(P, o, 'name', '', SAVEPOINT_NAME_RULE) }
    case 'dataset-commit': {
      const commitId = optional(o, 'commitId', () => string(P, o, 'commitId', '', COMMIT_ID_RULE))
      return {
        op,
        name: string(P, o, 'name', '', DATASET_NAME_RULE),
        version: positiveInt(P, o, 'version', ''),
        cid: cidText(P, o, 'cid', ''),
        rows: uint(P, o, 'rows', ''),
        bytes: uint(P, o, 'bytes', ''),
        segments: uint(P, o, 'segments', '', MAX_DATASET_SEGMENTS),
        partitioning: partitioning(field(o, 'partitioning'), 'partitioning'),
        createdAt: uint(P, o, 'createdAt', ''),
        ...(commitId === undefined ? {} : { commitId })
      }
    }
    case 'dataset-drop':
      return { op, name: string(P, o, 'name', '', DATASET_NAME_RULE) }
    case 'marker':
      return { op, text: string(P, o, 'text', '', text(MAX_MARKER_LENGTH)) }
  }
}

/** A deployment: at least one task (none for a batch job), each (vertex, subtask) once. */
function tasks (o: WireObject, key: string, batch = false): TaskAssignment[] {
  const seen = new Set<string>()
  const list = array(P, o, key, '', MAX_JOB_TASKS)
  if (list.length === 0 && !batch) fail(P, key, 'must name at least one task')
  return list.map((v, i) => {
    const p = at(key, i)
    const t = object(P, v, p, TASK_KEYS)
    const task = { vertex: string(P, t, 'vertex', p, ID_RULE), subtask: uint(P, t, 'subtask', p, MAX_SUBTASK), peer: peerId(P, t, 'peer', p), ...scanFields(P, t, p) }
    const id = `${task.vertex}\u0000${task.subtask}`
    if (seen.has(id)) fail(P, p, `assigns ${task.vertex}[${task.subtask}] a second time`)
    seen.add(id)
    return task
  })
}

/** Peer id -> process start time (see `Incarnations` in log.ts). */
function incarnations (o: WireObject): Incarnations {
  const raw = field(o, 'incarnations')
  const m = asWireObject(raw)
  if (m === undefined) fail(P, 'incarnations', `must be a map of peer ids to start times, got ${describe(raw)}`)
  const keys = Object.keys(m)
  if (keys.length > MAX_JOB_TASKS) fail(P, 'incarnations', `must name at most ${MAX_JOB_TASKS} peers, got ${keys.length}`)
  const out: Record<string, number> = {}
  for (const k of keys) {
    stringValue(P, k, 'incarnations', PEER_ID_RULE)
    if (k === '__proto__') fail(P, 'incarnations', "must not have the key '__proto__'")
    Object.defineProperty(out, k, { value: uint(P, m, k, 'incarnations'), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** Dataset name -> version (≥ 1), at most `MAX_JOB_DATASETS`, copied into a fresh object. */
function datasetVersions (o: WireObject, key: string): Record<string, number> {
  const raw = field(o, key)
  const m = asWireObject(raw)
  if (m === undefined) fail(P, key, `must be a map of dataset names to versions, got ${describe(raw)}`)
  const keys = Object.keys(m)
  if (keys.length > MAX_JOB_DATASETS) fail(P, key, `must name at most ${MAX_JOB_DATASETS} datasets, got ${keys.length}`)
  const out: Record<string, number> = {}
  for (const k of keys) {
    stringValue(P, k, key, DATASET_NAME_RULE)
    Object.defineProperty(out, k, { value: positiveInt(P, m, k, key), enumerable: true, writable: true, configurable: true })
  }
  return out
}

function checkpointRef (value: unknown, path: string): CheckpointRecordRef {
  const o = object(P, value, path, REF_KEYS)
  return { checkpointId: uint(P, o, 'checkpointId', path), cid: cidText(P, o, 'cid', path) }
}

function strategy (value: unknown, path: string): RestartStrategyRecord {
  const loose = object(P, value, path, STRATEGY_KEYS)
  const kind = oneOf(P, loose, 'kind', path, STRATEGY_KINDS)
  switch (kind) {
    case 'none':
      object(P, value, path, new Set(['kind']))
      return { kind }
    case 'fixed-delay': {
      const o = object(P, value, path, new Set(['kind', 'attempts', 'delayMs']))
      return { kind, attempts: uint(P, o, 'attempts', path), delayMs: uint(P, o, 'delayMs', path) }
    }
    case 'exponential-delay': {
      const o = object(P, value, path, new Set(['kind', 'attempts', 'initialDelayMs', 'maxDelayMs']))
      const initialDelayMs = positiveInt(P, o, 'initialDelayMs', path)
      const maxDelayMs = positiveInt(P, o, 'maxDelayMs', path)
      if (maxDelayMs < initialDelayMs) fail(P, at(path, 'maxDelayMs'), `must not be below initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`)
      const attempts = optional(o, 'attempts', () => uint(P, o, 'attempts', path))
      return attempts === undefined ? { kind, initialDelayMs, maxDelayMs } : { kind, initialDelayMs, maxDelayMs, attempts }
    }
  }
}
