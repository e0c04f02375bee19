/**
 * Checks for the fields of client messages that several of them share (ids, names, CIDs,
 * error texts) and for the parts of the savepoint and checkpoint messages: savepoint
 * entries, a job's checkpoint summary and restore history, and the operator states of a
 * checkpoint acknowledgement.
 */
import {
  MAX_CHECKPOINT_OPERATORS, MAX_ID_LENGTH, MAX_JOB_ARG_KEY_LENGTH, MAX_JOB_ARG_VALUE_LENGTH, MAX_JOB_ARGS, MAX_JOB_NAME_LENGTH,
  MAX_KEYED_CHUNKS, MAX_LIST_STATE_ELEMENTS, MAX_MESSAGE_LENGTH, MAX_RESTORE_HISTORY, MAX_SAVEPOINT_NAME_LENGTH
} from './constants.ts'
import { parseCid } from './cid.ts'
import type { CheckpointRef, JobCheckpointsInfo, OperatorStateRef, RestoreInfo, SavepointInfo } from './client.ts'
import { optional } from './peer-fields.ts'
import {
  array, at, fail, field, object, plainData, printable, string, stringMap, stringValue, text, uint, type Budget,
  type StringRule, type WireObject
} from './validation.ts'
import { errorMessage } from './error-message.ts'

/** Job ids, vertex ids and operator ids, as on the data protocol. */
export const ID_RULE = text(MAX_ID_LENGTH, 1)
const ARG_KEY_RULE = text(MAX_JOB_ARG_KEY_LENGTH, 1)
const ARG_VALUE_RULE: StringRule = { max: MAX_JOB_ARG_VALUE_LENGTH }
/** Job names. */
export const JOB_NAME_RULE = text(MAX_JOB_NAME_LENGTH, 1)
/** The text of a CID; `parseCid` then checks that it is a meshflow block CID. */
export const CID_TEXT_RULE = printable(128)
/** Error texts of jobs and tasks: no control characters but tabs and line breaks. */
// eslint-disable-next-line no-control-regex
export const ERROR_RULE: StringRule = { max: MAX_MESSAGE_LENGTH, pattern: /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/, expected: 'text without control characters other than tabs and line breaks' }

/**
 * Any text made into an error text that `ERROR_RULE` accepts: cut to `MAX_MESSAGE_LENGTH`
 * characters, other control characters (an exception message with terminal colours)
 * replaced by '?'. Whatever a job's code throws can then be reported, logged and recorded.
 *
 * @example
 * errorText('bad \u001b[31mred') // 'bad ?[31mred'
 */
export function errorText (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.slice(0, MAX_MESSAGE_LENGTH).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '?')
}
/**
 * Savepoint names: 1–`MAX_SAVEPOINT_NAME_LENGTH` characters without control characters or
 * `/` (a name may become part of a path or a key of the metadata log).
 */
// eslint-disable-next-line no-control-regex
/** A job id a client chooses for its submission: a UUID in its canonical lower-case form. */
export const SUBMITTED_JOB_ID_RULE: StringRule = { min: 36, max: 36, pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, expected: 'a job id (a lower-case UUID)' }

export const SAVEPOINT_NAME_RULE: StringRule = { min: 1, max: MAX_SAVEPOINT_NAME_LENGTH, pattern: /^[^\u0000-\u001f\u007f-\u009f/]*$/, expected: "a savepoint name (text without control characters or '/')" }

/**
 * What is wrong with `name` as a savepoint name, or undefined when it is a good one (the
 * CLI checks a name before it connects).
 *
 * @example
 * ```ts
 * savepointNameProblem('before-v2') // undefined
 * savepointNameProblem('a/b') // "must be a savepoint name (text without control characters or '/'), got the string \"a/b\""
 * ```
 */
export function savepointNameProblem (name: string): string | undefined {
  try {
    stringValue('client', name, 'name', SAVEPOINT_NAME_RULE)
    return undefined
  } catch (err) {
    return (err as Error).message.replace(/^Malformed client message: field 'name' /, '')
  }
}

const SAVEPOINT_KEYS = new Set(['name', 'jobId', 'jobName', 'checkpointId', 'cid', 'createdAt'])
const CHECKPOINTS_KEYS = new Set(['completed', 'latest'])
const CHECKPOINT_REF_KEYS = new Set(['id', 'cid', 'at'])
const RESTORE_KEYS = new Set(['attempt', 'checkpointId', 'at'])
const OPERATOR_KEYS = new Set(['operatorId', 'keyed', 'list'])

/** A CID text field that `parseCid` accepts (kept as sent). */
export function cidText (protocol: string, o: WireObject, key: string, path: string): string {
  const cid = string(protocol, o, key, path, CID_TEXT_RULE)
  checkCid(protocol, cid, at(path, key))
  return cid
}

function checkCid (protocol: string, cid: string, path: string): void {
  try {
    parseCid(cid)
  } catch (err) {
    fail(protocol, path, `must be a meshflow block CID (CIDv1, raw, sha2-256): ${errorMessage(err)}`, { cause: err })
  }
}

/** One savepoint of a savepoints response. */
export function savepointInfo (protocol: string, value: unknown, path: string): SavepointInfo {
  const o = object(protocol, value, path, SAVEPOINT_KEYS)
  return {
    name: string(protocol, o, 'name', path, SAVEPOINT_NAME_RULE),
    jobId: string(protocol, o, 'jobId', path, ID_RULE),
    jobName: string(protocol, o, 'jobName', path, JOB_NAME_RULE),
    checkpointId: uint(protocol, o, 'checkpointId', path),
    cid: cidText(protocol, o, 'cid', path),
    createdAt: uint(protocol, o, 'createdAt', path)
  }
}

/** A job's checkpoint summary: `{ completed, latest? }`. */
export function checkpointsInfo (protocol: string, parent: WireObject, key: string, path: string): JobCheckpointsInfo {
  const p = at(path, key)
  const o = object(protocol, field(parent, key), p, CHECKPOINTS_KEYS)
  const completed = uint(protocol, o, 'completed', p)
  const latest = optional(o, 'latest', () => checkpointRef(protocol, field(o, 'latest'), at(p, 'latest')))
  if (latest !== undefined && completed === 0) fail(protocol, at(p, 'completed'), 'must be at least 1 when there is a latest checkpoint, got 0')
  return latest === undefined ? { completed } : { completed, latest }
}

function checkpointRef (protocol: string, value: unknown, path: string): CheckpointRef {
  const o = object(protocol, value, path, CHECKPOINT_REF_KEYS)
  return { id: uint(protocol, o, 'id', path), cid: cidText(protocol, o, 'cid', path), at: uint(protocol, o, 'at', path) }
}

/** A job's (re)starts, at most `MAX_RESTORE_HISTORY`. */
export function restoreHistory (protocol: string, parent: WireObject, key: string, path: string): RestoreInfo[] {
  const p = at(path, key)
  return array(protocol, parent, key, path, MAX_RESTORE_HISTORY).map((v, i) => {
    const ep = at(p, i)
    const o = object(protocol, v, ep, RESTORE_KEYS)
    const attempt = uint(protocol, o, 'attempt', ep)
    const raw = field(o, 'checkpointId')
    const checkpointId = raw === null ? null : uint(protocol, o, 'checkpointId', ep)
    return { attempt, checkpointId, at: uint(protocol, o, 'at', ep) }
  })
}

/** The operator states of a checkpoint acknowledgement, in wire form. */
export function encodeOperators (operators: readonly OperatorStateRef[]): Record<string, unknown>[] {
  return operators.map(op => ({ operatorId: op.operatorId, keyed: [...op.keyed], list: [...op.list] }))
}

/**
 * The operator states of a checkpoint acknowledgement: each operator id once, at most
 * `MAX_KEYED_CHUNKS` CIDs per operator and `MAX_LIST_STATE_ELEMENTS` list elements in all;
 * list elements must be plain data, walked within `budget`.
 */
export function operators (protocol: string, parent: WireObject, key: string, budget: Budget): OperatorStateRef[] {
  const seen = new Set<string>()
  let elements = 0
  return array(protocol, parent, key, '', MAX_CHECKPOINT_OPERATORS).map((v, i) => {
    const p = at(key, i)
    const o = object(protocol, v, p, OPERATOR_KEYS)
    const operatorId = string(protocol, o, 'operatorId', p, ID_RULE)
    if (seen.has(operatorId)) fail(protocol, at(p, 'operatorId'), `names ${JSON.stringify(operatorId)} a second time`)
    seen.add(operatorId)
    const keyed = array(protocol, o, 'keyed', p, MAX_KEYED_CHUNKS).map((c, j) => {
      const cp = at(at(p, 'keyed'), j)
      const cid = stringValue(protocol, c, cp, CID_TEXT_RULE)
      checkCid(protocol, cid, cp)
      return cid
    })
    const rawList = array(protocol, o, 'list', p, MAX_LIST_STATE_ELEMENTS)
    elements += rawList.length
    if (elements > MAX_LIST_STATE_ELEMENTS) fail(protocol, at(p, 'list'), `brings the list state of this acknowledgement to ${elements} elements, more than ${MAX_LIST_STATE_ELEMENTS}`)
    plainData(protocol, rawList, at(p, 'list'), budget)
    return { operatorId, keyed, list: [...rawList] }
  })
}

/**
 * A job's arguments: a map of at most `MAX_JOB_ARGS` names (without control characters) to
 * values, copied into a fresh object (a `__proto__` key is refused).
 */
export function jobArgs (protocol: string, o: WireObject, key: string): Record<string, string> {
  return stringMap(protocol, o, key, '', { max: MAX_JOB_ARGS, noun: 'arguments', key: ARG_KEY_RULE, value: ARG_VALUE_RULE })
}
