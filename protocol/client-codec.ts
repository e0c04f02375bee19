/**
 * The codec of `/meshflow/client/1`: ClientMessage <-> bytes.
 */
import {
  MAX_JOB_TASKS, MAX_JOBS, MAX_MESSAGE_LENGTH,
  MAX_PARALLELISM, MAX_SAVEPOINTS, MAX_SLOTS, MAX_STATUS_PEERS, MAX_SUBTASK
} from './constants.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import {
  CHECKPOINT_KINDS, CLIENT_ERROR_CODES, JOB_STATES, SAVEPOINT_STOP_MODES, STATUS_ROLES, TASK_REPORT_STATES, type ClientErrorCode,
  type ClientMessage, type ClientMessageType, type BatchProgressInfo, type JobInfo, type JobTaskInfo, type ScrubStatus, type StatusPeer
} from './client.ts'
import { STATUS_WARNING_CODES, type StatusResponse, type StatusWarning } from './client.ts'
import {
  checkpointsInfo, cidText, encodeOperators, ERROR_RULE, ID_RULE, JOB_NAME_RULE, jobArgs, operators, restoreHistory, savepointInfo,
  SAVEPOINT_NAME_RULE, SUBMITTED_JOB_ID_RULE
} from './client-fields.ts'
import { addrs, groupId, labels, optional, peerId, peerIds, slots } from './peer-fields.ts'
import { MAX_MARKER_LENGTH } from './log-codec.ts'
import type { NodeId } from './raft.ts'
import { SCAN_TASK_KEYS, scanFields, wireScanFields } from './task-fields.ts'
import { DATASET_MESSAGE_KEYS, DATASET_MESSAGE_TYPES, decodeDatasetMessage, wireDatasetMessage } from './client-dataset-codec.ts'
import {
  array, at, bool, fail, field, object, oneOf, PEER_ID_RULE, positiveInt,
  string, stringValue, text, uint, type WireObject
} from './validation.ts'

const P = 'client'

/** The `type` of every client message. */
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = Object.freeze([
  'status-request', 'status-response', 'mark-request', 'mark-response', 'error-response', 'leader-redirect',
  'submit-job', 'submit-job-response', 'jobs-request', 'jobs-response', 'cancel-job', 'cancel-job-response',
  'await-job', 'job-result', 'task-report', 'task-report-ack', 'region-report',
  'trigger-savepoint', 'savepoint-response', 'savepoints-request', 'savepoints-response', 'delete-savepoint',
  'delete-savepoint-response', 'trigger-checkpoint', 'trigger-checkpoint-response', 'checkpoint-ack', 'checkpoint-decline',
  'checkpoint-ack-response', ...DATASET_MESSAGE_TYPES
])
const ERROR_CODES: readonly ClientErrorCode[] = Object.freeze(Object.values(CLIENT_ERROR_CODES))

const KEYS: Record<ClientMessageType, ReadonlySet<string>> = {
  'status-request': new Set(['type', 'id']),
  'status-response': new Set(['type', 'id', 'leader', 'term', 'peers', 'group', 'voters', 'warnings']),
  'mark-request': new Set(['type', 'id', 'text']),
  'mark-response': new Set(['type', 'id', 'index', 'term']),
  'error-response': new Set(['type', 'id', 'code', 'message', 'retriable']),
  'leader-redirect': new Set(['type', 'id', 'leaderId', 'addrs']),
  'submit-job': new Set(['type', 'id', 'name', 'codeCid', 'args', 'parallelism', 'maxParallelism', 'submitter', 'fromSavepoint', 'allowNonRestoredState', 'jobId']),
  'submit-job-response': new Set(['type', 'id', 'jobId']),
  'jobs-request': new Set(['type', 'id']),
  'jobs-response': new Set(['type', 'id', 'jobs']),
  'cancel-job': new Set(['type', 'id', 'jobId']),
  'cancel-job-response': new Set(['type', 'id', 'jobId', 'state']),
  'await-job': new Set(['type', 'id', 'jobId']),
  'job-result': new Set(['type', 'id', 'jobId', 'state', 'error']),
  'task-report': new Set(['type', 'id', 'jobId', 'attempt', 'peer', 'state', 'error']),
  'task-report-ack': new Set(['type', 'id']),
  'region-report': new Set(['type', 'id', 'jobId', 'peer', 'region', 'attempt', 'state', 'result', 'recordsIn', 'recordsOut', 'error']),
  'trigger-savepoint': new Set(['type', 'id', 'jobId', 'name', 'stop']),
  'savepoint-response': new Set(['type', 'id', 'jobId', 'name', 'checkpointId', 'cid']),
  'savepoints-request': new Set(['type', 'id']),
  'savepoints-response': new Set(['type', 'id', 'savepoints']),
  'delete-savepoint': new Set(['type', 'id', 'name']),
  'delete-savepoint-response': new Set(['type', 'id', 'name']),
  'trigger-checkpoint': new Set(['type', 'id', 'term', 'leaderId', 'jobId', 'attempt', 'checkpointId', 'kind']),
  'trigger-checkpoint-response': new Set(['type', 'id', 'accepted', 'lastCheckpointId']),
  'checkpoint-ack': new Set(['type', 'id', 'jobId', 'attempt', 'checkpointId', 'peer', 'vertex', 'subtask', 'operators']),
  'checkpoint-decline': new Set(['type', 'id', 'jobId', 'attempt', 'checkpointId', 'peer', 'reason']),
  'checkpoint-ack-response': new Set(['type', 'id', 'accepted']),
  ...DATASET_MESSAGE_KEYS
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))
const PEER_KEYS = new Set(['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role', 'scrub'])
const SCRUB_KEYS = new Set(['scanned', 'corrupt', 'repaired', 'unrepairable', 'passes', 'lastPassAt'])
const JOB_KEYS = new Set(['id', 'name', 'state', 'restarts', 'tasks', 'error', 'checkpoints', 'restoreHistory', 'batch'])
const BATCH_KEYS = new Set(['stages', 'regions', 'reruns', 'recordsRead', 'recordsWritten'])
const PROGRESS_KEYS = new Set(['total', 'done', 'running'])
const TASK_KEYS = new Set(['vertex', 'subtask', 'peer', ...SCAN_TASK_KEYS])

/** Adds `error` to `wire` unless it is undefined. */
function withError<T extends object> (wire: T, error: string | undefined): T {
  if (error !== undefined) (wire as Record<string, unknown>).error = error
  return wire
}

/** Encodes a client message (declared fields only). */
export function encodeClientMessage (m: ClientMessage): Uint8Array {
  switch (m.type) {
    case 'status-request':
      return encodeCbor({ type: m.type, id: m.id })
    case 'status-response':
      return encodeCbor({
        type: m.type,
        id: m.id,
        leader: m.leader,
        term: m.term,
        peers: m.peers.map(p => ({
          id: p.id, addrs: [...p.addrs], labels: { ...p.labels }, slots: p.slots, freeSlots: p.freeSlots, role: p.role,
          ...(p.scrub === undefined ? {} : { scrub: { ...p.scrub } })
        })),
        ...statusExtras(m)
      })
    case 'mark-request':
      return encodeCbor({ type: m.type, id: m.id, text: m.text })
    case 'mark-response':
      return encodeCbor({ type: m.type, id: m.id, index: m.index, term: m.term })
    case 'error-response':
      return encodeCbor({ type: m.type, id: m.id, code: m.code, message: m.message, retriable: m.retriable })
    case 'leader-redirect':
      return encodeCbor({ type: m.type, id: m.id, leaderId: m.leaderId, addrs: [...m.addrs] })
    case 'submit-job': {
      const wire: Record<string, unknown> = { type: m.type, id: m.id, name: m.name, codeCid: m.codeCid, args: { ...m.args }, parallelism: m.parallelism }
      if (m.maxParallelism !== undefined) wire.maxParallelism = m.maxParallelism
      wire.submitter = m.submitter
      if (m.fromSavepoint !== undefined) wire.fromSavepoint = m.fromSavepoint
      if (m.allowNonRestoredState !== undefined) wire.allowNonRestoredState = m.allowNonRestoredState
      if (m.jobId !== undefined) wire.jobId = m.jobId
      return encodeCbor(wire)
    }
    case 'submit-job-response':
    case 'cancel-job':
    case 'await-job':
      return encodeCbor({ type: m.type, id: m.id, jobId: m.jobId })
    case 'jobs-request':
    case 'task-report-ack':
    case 'savepoints-request':
      return encodeCbor({ type: m.type, id: m.id })
    case 'jobs-response':
      return encodeCbor({ type: m.type, id: m.id, jobs: m.jobs.map(encodeJobInfo) })
    case 'cancel-job-response':
      return encodeCbor({ type: m.type, id: m.id, jobId: m.jobId, state: m.state })
    case 'job-result':
      return encodeCbor(withError({ type: m.type, id: m.id, jobId: m.jobId, state: m.state }, m.error))
    case 'task-report':
      return encodeCbor(withError({ type: m.type, id: m.id, jobId: m.jobId, attempt: m.attempt, peer: m.peer, state: m.state }, m.error))
    case 'region-report':
      return encodeCbor(withError({
        type: m.type, id: m.id, jobId: m.jobId, peer: m.peer, region: m.region, attempt: m.attempt, state: m.state,
        ...(m.result === undefined ? {} : { result: m.result }),
        ...(m.recordsIn === undefined ? {} : { recordsIn: m.recordsIn }),
        ...(m.recordsOut === undefined ? {} : { recordsOut: m.recordsOut })
      }, m.error))
    case 'trigger-savepoint':
      return encodeCbor({ type: m.type, id: m.id, jobId: m.jobId, name: m.name, ...(m.stop === undefined ? {} : { stop: m.stop }) })
    case 'savepoint-response':
      return encodeCbor({ type: m.type, id: m.id, jobId: m.jobId, name: m.name, checkpointId: m.checkpointId, cid: m.cid })
    case 'savepoints-response':
      return encodeCbor({
        type: m.type,
        id: m.id,
        savepoints: m.savepoints.map(p => ({ name: p.name, jobId: p.jobId, jobName: p.jobName, checkpointId: p.checkpointId, cid: p.cid, createdAt: p.createdAt }))
      })
    case 'delete-savepoint':
    case 'delete-savepoint-response':
      return encodeCbor({ type: m.type, id: m.id, name: m.name })
    case 'trigger-checkpoint':
      return encodeCbor({ type: m.type, id: m.id, term: m.term, leaderId: m.leaderId, jobId: m.jobId, attempt: m.attempt, checkpointId: m.checkpointId, kind: m.kind })
    case 'trigger-checkpoint-response':
      return encodeCbor({ type: m.type, id: m.id, accepted: m.accepted, lastCheckpointId: m.lastCheckpointId })
    case 'checkpoint-ack':
      return encodeCbor({
        type: m.type, id: m.id, jobId: m.jobId, attempt: m.attempt, checkpointId: m.checkpointId, peer: m.peer, vertex: m.vertex, subtask: m.subtask,
        operators: encodeOperators(m.operators)
      })
    case 'checkpoint-decline':
      return encodeCbor({ type: m.type, id: m.id, jobId: m.jobId, attempt: m.attempt, checkpointId: m.checkpointId, peer: m.peer, reason: m.reason })
    case 'checkpoint-ack-response':
      return encodeCbor({ type: m.type, id: m.id, accepted: m.accepted })
    case 'datasets-request':
    case 'datasets-response':
    case 'dataset-show':
    case 'dataset-show-response':
    case 'dataset-commit':
    case 'dataset-commit-response':
    case 'dataset-drop':
    case 'dataset-drop-response':
      return encodeCbor(wireDatasetMessage(m))
  }
}

/** A job of a jobs response on the wire: declared fields only, optional ones when set. */
function encodeJobInfo (j: JobInfo): Record<string, unknown> {
  const wire: Record<string, unknown> = withError({
    id: j.id, name: j.name, state: j.state, restarts: j.restarts, tasks: j.tasks.map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer, ...wireScanFields(t) }))
  }, j.error)
  if (j.checkpoints !== undefined) {
    const { completed, latest } = j.checkpoints
    wire.checkpoints = latest === undefined ? { completed } : { completed, latest: { id: latest.id, cid: latest.cid, at: latest.at } }
  }
  if (j.restoreHistory !== undefined) wire.restoreHistory = j.restoreHistory.map(r => ({ attempt: r.attempt, checkpointId: r.checkpointId, at: r.at }))
  if (j.batch !== undefined) {
    const b = j.batch
    wire.batch = { stages: { ...b.stages }, regions: { ...b.regions }, reruns: b.reruns, recordsRead: b.recordsRead, recordsWritten: b.recordsWritten }
  }
  return wire
}

/**
 * Decodes and validates a client message.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed message
 * @example
 * ```ts
 * decodeClientMessage(encodeClientMessage({ type: 'status-request', id: 1 })) // { type: 'status-request', id: 1 }
 * ```
 */
export function decodeClientMessage (bytes: Uint8Array): ClientMessage {
  const loose = object(P, decodeCbor(P, bytes), '', ANY_KEYS)
  const type = oneOf(P, loose, 'type', '', CLIENT_MESSAGE_TYPES)
  const o = object(P, loose, '', KEYS[type])
  const id = uint(P, o, 'id', '')
  switch (type) {
    case 'status-request':
      return { type, id }
    case 'status-response': {
      const rawLeader = field(o, 'leader')
      const leader: NodeId | null = rawLeader === null ? null : stringValue(P, rawLeader, 'leader', PEER_ID_RULE)
      const term = uint(P, o, 'term', '')
      const list = array(P, o, 'peers', '', MAX_STATUS_PEERS)
      const seen = new Set<string>()
      const peers = list.map((v, i) => {
        const p = statusPeer(v, at('peers', i))
        if (seen.has(p.id)) fail(P, at(at('peers', i), 'id'), `names ${JSON.stringify(p.id)} a second time`)
        seen.add(p.id)
        return p
      })
      return { type, id, leader, term, peers, ...decodeStatusExtras(o) }
    }
    case 'mark-request':
      return { type, id, text: string(P, o, 'text', '', text(MAX_MARKER_LENGTH)) }
    case 'mark-response': {
      const index = uint(P, o, 'index', '')
      if (index === 0) fail(P, 'index', 'must be at least 1 (log indices start at 1), got 0')
      return { type, id, index, term: uint(P, o, 'term', '') }
    }
    case 'error-response':
      return {
        type,
        id,
        code: oneOf(P, o, 'code', '', ERROR_CODES),
        message: string(P, o, 'message', '', text(MAX_MESSAGE_LENGTH, 1)),
        retriable: bool(P, o, 'retriable', '')
      }
    case 'leader-redirect':
      return { type, id, leaderId: peerId(P, o, 'leaderId', ''), addrs: addrs(P, o, 'addrs', '') }
    case 'submit-job': {
      const name = string(P, o, 'name', '', JOB_NAME_RULE)
      const codeCid = cidText(P, o, 'codeCid', '')
      const args = jobArgs(P, o, 'args')
      const parallelism = positiveInt(P, o, 'parallelism', '', MAX_SLOTS)
      const maxParallelism = optional(o, 'maxParallelism', () => positiveInt(P, o, 'maxParallelism', '', MAX_PARALLELISM))
      if (maxParallelism !== undefined && parallelism > maxParallelism) fail(P, 'parallelism', `must not exceed maxParallelism (${maxParallelism}), got ${parallelism}`)
      const submitter = peerId(P, o, 'submitter', '')
      const fromSavepoint = optional(o, 'fromSavepoint', () => string(P, o, 'fromSavepoint', '', SAVEPOINT_NAME_RULE))
      const allowNonRestoredState = optional(o, 'allowNonRestoredState', () => bool(P, o, 'allowNonRestoredState', ''))
      const jobId = optional(o, 'jobId', () => string(P, o, 'jobId', '', SUBMITTED_JOB_ID_RULE))
      return {
        type, id, name, codeCid, args, parallelism,
        ...(maxParallelism === undefined ? {} : { maxParallelism }),
        submitter,
        ...(fromSavepoint === undefined ? {} : { fromSavepoint }),
        ...(allowNonRestoredState === undefined ? {} : { allowNonRestoredState }),
        ...(jobId === undefined ? {} : { jobId })
      }
    }
    case 'submit-job-response':
    case 'cancel-job':
    case 'await-job':
      return { type, id, jobId: string(P, o, 'jobId', '', ID_RULE) }
    case 'jobs-request':
    case 'task-report-ack':
    case 'savepoints-request':
      return { type, id }
    case 'jobs-response': {
      const list = array(P, o, 'jobs', '', MAX_JOBS)
      const seen = new Set<string>()
      const jobs = list.map((v, i) => {
        const j = jobInfo(v, at('jobs', i))
        if (seen.has(j.id)) fail(P, at(at('jobs', i), 'id'), `names ${JSON.stringify(j.id)} a second time`)
        seen.add(j.id)
        return j
      })
      return { type, id, jobs }
    }
    case 'cancel-job-response':
      return { type, id, jobId: string(P, o, 'jobId', '', ID_RULE), state: oneOf(P, o, 'state', '', JOB_STATES) }
    case 'job-result':
      return withError({ type, id, jobId: string(P, o, 'jobId', '', ID_RULE), state: oneOf(P, o, 'state', '', JOB_STATES) }, errorText(o, ''))
    case 'task-report':
      return withError({
        type,
        id,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        peer: peerId(P, o, 'peer', ''),
        state: oneOf(P, o, 'state', '', TASK_REPORT_STATES)
      }, errorText(o, ''))
    case 'region-report': {
      const result = optional(o, 'result', () => cidText(P, o, 'result', ''))
      const recordsIn = optional(o, 'recordsIn', () => uint(P, o, 'recordsIn', ''))
      const recordsOut = optional(o, 'recordsOut', () => uint(P, o, 'recordsOut', ''))
      return withError({
        type,
        id,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        peer: peerId(P, o, 'peer', ''),
        region: uint(P, o, 'region', '', MAX_JOB_TASKS),
        attempt: uint(P, o, 'attempt', ''),
        state: oneOf(P, o, 'state', '', ['FINISHED', 'FAILED'] as const),
        ...(result === undefined ? {} : { result }),
        ...(recordsIn === undefined ? {} : { recordsIn }),
        ...(recordsOut === undefined ? {} : { recordsOut })
      }, errorText(o, ''))
    }
    case 'trigger-savepoint': {
      const jobId = string(P, o, 'jobId', '', ID_RULE)
      const name = string(P, o, 'name', '', SAVEPOINT_NAME_RULE)
      const stop = optional(o, 'stop', () => oneOf(P, o, 'stop', '', SAVEPOINT_STOP_MODES))
      return stop === undefined ? { type, id, jobId, name } : { type, id, jobId, name, stop }
    }
    case 'savepoint-response':
      return {
        type,
        id,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        name: string(P, o, 'name', '', SAVEPOINT_NAME_RULE),
        checkpointId: uint(P, o, 'checkpointId', ''),
        cid: cidText(P, o, 'cid', '')
      }
    case 'savepoints-response': {
      const list = array(P, o, 'savepoints', '', MAX_SAVEPOINTS)
      const seen = new Set<string>()
      const savepoints = list.map((v, i) => {
        const s = savepointInfo(P, v, at('savepoints', i))
        if (seen.has(s.name)) fail(P, at(at('savepoints', i), 'name'), `names ${JSON.stringify(s.name)} a second time`)
        seen.add(s.name)
        return s
      })
      return { type, id, savepoints }
    }
    case 'delete-savepoint':
    case 'delete-savepoint-response':
      return { type, id, name: string(P, o, 'name', '', SAVEPOINT_NAME_RULE) }
    case 'trigger-checkpoint':
      return {
        type,
        id,
        term: uint(P, o, 'term', ''),
        leaderId: peerId(P, o, 'leaderId', ''),
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        checkpointId: uint(P, o, 'checkpointId', ''),
        kind: oneOf(P, o, 'kind', '', CHECKPOINT_KINDS)
      }
    case 'trigger-checkpoint-response':
      return { type, id, accepted: bool(P, o, 'accepted', ''), lastCheckpointId: uint(P, o, 'lastCheckpointId', '') }
    case 'checkpoint-ack':
      return {
        type,
        id,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        checkpointId: uint(P, o, 'checkpointId', ''),
        peer: peerId(P, o, 'peer', ''),
        vertex: string(P, o, 'vertex', '', ID_RULE),
        subtask: uint(P, o, 'subtask', '', MAX_SUBTASK),
        operators: operators(P, o, 'operators', { left: bytes.byteLength })
      }
    case 'checkpoint-decline':
      return {
        type,
        id,
        jobId: string(P, o, 'jobId', '', ID_RULE),
        attempt: uint(P, o, 'attempt', ''),
        checkpointId: uint(P, o, 'checkpointId', ''),
        peer: peerId(P, o, 'peer', ''),
        reason: string(P, o, 'reason', '', ERROR_RULE)
      }
    case 'checkpoint-ack-response':
      return { type, id, accepted: bool(P, o, 'accepted', '') }
    case 'datasets-request':
    case 'datasets-response':
    case 'dataset-show':
    case 'dataset-show-response':
    case 'dataset-commit':
    case 'dataset-commit-response':
    case 'dataset-drop':
    case 'dataset-drop-response':
      return decodeDatasetMessage(type, o, id)
  }
}

/** An optional `error` field. */
function errorText (o: WireObject, path: string): string | undefined {
  return optional(o, 'error', () => string(P, o, 'error', path, ERROR_RULE))
}

function jobInfo (value: unknown, path: string): JobInfo {
  const o = object(P, value, path, JOB_KEYS)
  const job: JobInfo = withError({
    id: string(P, o, 'id', path, ID_RULE),
    name: string(P, o, 'name', path, JOB_NAME_RULE),
    state: oneOf(P, o, 'state', path, JOB_STATES),
    restarts: uint(P, o, 'restarts', path),
    tasks: array(P, o, 'tasks', path, MAX_JOB_TASKS).map((t, i) => jobTask(t, at(at(path, 'tasks'), i)))
  }, errorText(o, path))
  const checkpoints = optional(o, 'checkpoints', () => checkpointsInfo(P, o, 'checkpoints', path))
  const history = optional(o, 'restoreHistory', () => restoreHistory(P, o, 'restoreHistory', path))
  const batch = optional(o, 'batch', () => batchProgress(field(o, 'batch'), at(path, 'batch')))
  return {
    ...job,
    ...(checkpoints === undefined ? {} : { checkpoints }),
    ...(history === undefined ? {} : { restoreHistory: history }),
    ...(batch === undefined ? {} : { batch })
  }
}

function batchProgress (value: unknown, path: string): BatchProgressInfo {
  const o = object(P, value, path, BATCH_KEYS)
  const counts = (key: string): { total: number, done: number, running: number } => {
    const p = at(path, key)
    const c = object(P, field(o, key), p, PROGRESS_KEYS)
    return { total: uint(P, c, 'total', p), done: uint(P, c, 'done', p), running: uint(P, c, 'running', p) }
  }
  return { stages: counts('stages'), regions: counts('regions'), reruns: uint(P, o, 'reruns', path), recordsRead: uint(P, o, 'recordsRead', path), recordsWritten: uint(P, o, 'recordsWritten', path) }
}

function jobTask (value: unknown, path: string): JobTaskInfo {
  const o = object(P, value, path, TASK_KEYS)
  return {
    vertex: string(P, o, 'vertex', path, ID_RULE),
    subtask: uint(P, o, 'subtask', path, MAX_SUBTASK),
    peer: peerId(P, o, 'peer', path),
    ...scanFields(P, o, path)
  }
}

function scrubStatus (value: unknown, path: string): ScrubStatus {
  const o = object(P, value, path, SCRUB_KEYS)
  const last = field(o, 'lastPassAt')
  return {
    scanned: uint(P, o, 'scanned', path),
    corrupt: uint(P, o, 'corrupt', path),
    repaired: uint(P, o, 'repaired', path),
    unrepairable: uint(P, o, 'unrepairable', path),
    passes: uint(P, o, 'passes', path),
    lastPassAt: last === null ? null : uint(P, o, 'lastPassAt', path)
  }
}

function statusPeer (value: unknown, path: string): StatusPeer {
  const o = object(P, value, path, PEER_KEYS)
  const total = slots(P, o, 'slots', path)
  const free = uint(P, o, 'freeSlots', path, MAX_SLOTS)
  if (free > total) fail(P, at(path, 'freeSlots'), `must not exceed slots (${total}), got ${free}`)
  const scrub = optional(o, 'scrub', () => scrubStatus(field(o, 'scrub'), at(path, 'scrub')))
  return {
    ...(scrub === undefined ? {} : { scrub }),
    id: peerId(P, o, 'id', path),
    addrs: addrs(P, o, 'addrs', path),
    labels: labels(P, o, 'labels', path),
    slots: total,
    freeSlots: free,
    role: oneOf(P, o, 'role', path, STATUS_ROLES)
  }
}

const WARNING_KEYS = new Set(['code', 'message', 'peers', 'group'])
const MAX_STATUS_WARNINGS = 64

/** The optional fields of a status response (group, voters, warnings), when set. */
function statusExtras (m: StatusResponse): Record<string, unknown> {
  const wire: Record<string, unknown> = {}
  if (m.group !== undefined) wire.group = m.group
  if (m.voters !== undefined) wire.voters = [...m.voters]
  if (m.warnings !== undefined) {
    wire.warnings = m.warnings.map(w => ({ code: w.code, message: w.message, peers: [...w.peers], ...(w.group === undefined ? {} : { group: w.group }) }))
  }
  return wire
}

function decodeStatusExtras (o: WireObject): Pick<StatusResponse, 'group' | 'voters' | 'warnings'> {
  const group = optional(o, 'group', () => groupId(P, o, 'group', ''))
  const voters = optional(o, 'voters', () => peerIds(P, o, 'voters', ''))
  const warnings = optional(o, 'warnings', () => array(P, o, 'warnings', '', MAX_STATUS_WARNINGS).map((v, i) => {
    const path = at('warnings', i)
    const w = object(P, v, path, WARNING_KEYS)
    const other = optional(w, 'group', () => groupId(P, w, 'group', path))
    const warning: StatusWarning = {
      code: oneOf(P, w, 'code', path, STATUS_WARNING_CODES),
      message: string(P, w, 'message', path, text(MAX_MESSAGE_LENGTH, 1)),
      peers: peerIds(P, w, 'peers', path),
      ...(other === undefined ? {} : { group: other })
    }
    return warning
  }))
  return {
    ...(group === undefined ? {} : { group }),
    ...(voters === undefined ? {} : { voters }),
    ...(warnings === undefined ? {} : { warnings })
  }
}
