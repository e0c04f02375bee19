/**
 * The codec of `/meshflow/raft/1`: RaftEnvelope <-> bytes. Beyond field types the decoder
 * checks the invariants every correct Raft peer keeps (https://raft.github.io/raft.pdf
 * §5.3): the entries of an AppendEntries follow `prevLogIndex` without gaps, their terms
 * never decrease and never exceed the leader's term, and a configuration has voters, no
 * duplicates and no peer that is both voter and learner.
 */
import { MAX_CONFIGURATION_MEMBERS, MAX_ENTRIES_PER_APPEND, MAX_SNAPSHOT_BYTES, MAX_SNAPSHOT_CHUNK_BYTES } from './constants.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import type {
  AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, LogEntry, NodeId, RaftConfiguration,
  RaftEnvelope, RaftMessage, RequestVote, RequestVoteResponse, SnapshotMeta, TimeoutNow
} from './raft.ts'
import {
  array, at, bool, describe, fail, field, object, oneOf, PEER_ID_RULE, plainData, string, stringValue, uint, type Budget
} from './validation.ts'

const P = 'raft'

/** The `type` of every Raft message. */
export const RAFT_MESSAGE_TYPES: readonly RaftMessage['type'][] = Object.freeze([
  'request-vote', 'request-vote-response', 'append-entries', 'append-entries-response', 'timeout-now',
  'install-snapshot', 'install-snapshot-response'
])
const LOG_ENTRY_TYPES: readonly LogEntry['type'][] = ['noop', 'config', 'command']

const keys = (...k: string[]): ReadonlySet<string> => new Set(k)
const ENVELOPE_KEYS = keys('from', 'to', 'message')
const MESSAGE_KEYS: Record<RaftMessage['type'], ReadonlySet<string>> = {
  'request-vote': keys('type', 'term', 'candidateId', 'lastLogIndex', 'lastLogTerm', 'preVote', 'transfer'),
  'request-vote-response': keys('type', 'term', 'voteGranted', 'preVote'),
  'append-entries': keys('type', 'term', 'leaderId', 'prevLogIndex', 'prevLogTerm', 'entries', 'leaderCommit'),
  'append-entries-response': keys('type', 'term', 'success', 'matchIndex', 'conflictIndex'),
  'timeout-now': keys('type', 'term', 'leaderId'),
  'install-snapshot': keys('type', 'term', 'leaderId', 'meta', 'size', 'offset', 'data'),
  'install-snapshot-response': keys('type', 'term', 'index', 'received', 'done')
}
const META_KEYS = keys('index', 'term', 'config')
const ENTRY_KEYS: Record<LogEntry['type'], ReadonlySet<string>> = {
  noop: keys('term', 'index', 'type'),
  config: keys('term', 'index', 'type', 'config'),
  command: keys('term', 'index', 'type', 'command')
}
const CONFIG_KEYS = keys('voters', 'learners')
const ANY_ENTRY_KEYS = keys('term', 'index', 'type', 'config', 'command')
const ANY_MESSAGE_KEYS = new Set(Object.values(MESSAGE_KEYS).flatMap(s => [...s]))

/**
 * Encodes a Raft envelope. Only the declared fields of each message are written, so an
 * object carrying extra properties still encodes to a message its receiver accepts.
 */
export function encodeRaftEnvelope (envelope: RaftEnvelope): Uint8Array {
  return encodeCbor({ from: envelope.from, to: envelope.to, message: wireMessage(envelope.message) })
}

function wireMessage (m: RaftMessage): object {
  switch (m.type) {
    case 'request-vote':
      return { type: m.type, term: m.term, candidateId: m.candidateId, lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, preVote: m.preVote, transfer: m.transfer }
    case 'request-vote-response':
      return { type: m.type, term: m.term, voteGranted: m.voteGranted, preVote: m.preVote }
    case 'append-entries':
      return { type: m.type, term: m.term, leaderId: m.leaderId, prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, entries: m.entries.map(wireEntry), leaderCommit: m.leaderCommit }
    case 'append-entries-response':
      return { type: m.type, term: m.term, success: m.success, matchIndex: m.matchIndex, conflictIndex: m.conflictIndex }
    case 'timeout-now':
      return { type: m.type, term: m.term, leaderId: m.leaderId }
    case 'install-snapshot':
      return { type: m.type, term: m.term, leaderId: m.leaderId, meta: wireMeta(m.meta), size: m.size, offset: m.offset, data: m.data }
    case 'install-snapshot-response':
      return { type: m.type, term: m.term, index: m.index, received: m.received, done: m.done }
  }
}

/** A snapshot's metadata as written on the wire and in a peer's store. */
export function wireMeta (meta: SnapshotMeta): object {
  return { index: meta.index, term: meta.term, config: { voters: [...meta.config.voters], learners: [...meta.config.learners] } }
}

function wireEntry (e: LogEntry): object {
  switch (e.type) {
    case 'noop': return { term: e.term, index: e.index, type: e.type }
    case 'config': return { term: e.term, index: e.index, type: e.type, config: { voters: [...e.config.voters], learners: [...e.config.learners] } }
    case 'command': return { term: e.term, index: e.index, type: e.type, command: e.command }
  }
}

/**
 * Decodes and validates a Raft envelope.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed envelope
 * @example
 * ```ts
 * const bytes = encodeRaftEnvelope({ from: 'a', to: 'b', message: { type: 'timeout-now', term: 3, leaderId: 'a' } })
 * decodeRaftEnvelope(bytes).message.type // 'timeout-now'
 * ```
 */
export function decodeRaftEnvelope (bytes: Uint8Array): RaftEnvelope {
  const o = object(P, decodeCbor(P, bytes), '', ENVELOPE_KEYS)
  const from = string(P, o, 'from', '', PEER_ID_RULE)
  const to = string(P, o, 'to', '', PEER_ID_RULE)
  const message = decodeRaftMessage(field(o, 'message'), 'message', { left: bytes.byteLength })
  return { from, to, message }
}

/**
 * Validates one decoded Raft message (without envelope).
 *
 * @throws {MalformedMessageError}
 */
export function decodeRaftMessage (value: unknown, path = '', budget: Budget = { left: Number.POSITIVE_INFINITY }): RaftMessage {
  const loose = object(P, value, path, ANY_MESSAGE_KEYS)
  const type = oneOf(P, loose, 'type', path, RAFT_MESSAGE_TYPES)
  const o = object(P, loose, path, MESSAGE_KEYS[type])
  const term = uint(P, o, 'term', path)
  switch (type) {
    case 'request-vote': {
      const lastLogTerm = uint(P, o, 'lastLogTerm', path)
      if (lastLogTerm > term) fail(P, at(path, 'lastLogTerm'), `must not exceed the term ${term}, got ${lastLogTerm}`)
      const m: RequestVote = {
        type,
        term,
        candidateId: string(P, o, 'candidateId', path, PEER_ID_RULE),
        lastLogIndex: uint(P, o, 'lastLogIndex', path),
        lastLogTerm,
        preVote: bool(P, o, 'preVote', path),
        transfer: bool(P, o, 'transfer', path)
      }
      return m
    }
    case 'request-vote-response': {
      const m: RequestVoteResponse = { type, term, voteGranted: bool(P, o, 'voteGranted', path), preVote: bool(P, o, 'preVote', path) }
      return m
    }
    case 'append-entries': {
      const leaderId = string(P, o, 'leaderId', path, PEER_ID_RULE)
      const prevLogIndex = uint(P, o, 'prevLogIndex', path)
      const prevLogTerm = uint(P, o, 'prevLogTerm', path)
      if (prevLogTerm > term) fail(P, at(path, 'prevLogTerm'), `must not exceed the term ${term}, got ${prevLogTerm}`)
      const raw = array(P, o, 'entries', path, MAX_ENTRIES_PER_APPEND)
      const entries: LogEntry[] = new Array(raw.length)
      let lastTerm = prevLogTerm
      for (let i = 0; i < raw.length; i++) {
        const p = at(at(path, 'entries'), i)
        const e = decodeLogEntry(raw[i], p, budget)
        if (e.index !== prevLogIndex + 1 + i) fail(P, at(p, 'index'), `must be ${prevLogIndex + 1 + i} (entries follow prevLogIndex without gaps), got ${e.index}`)
        if (e.term < lastTerm) fail(P, at(p, 'term'), `must not be lower than the previous entry's term ${lastTerm}, got ${e.term}`)
        if (e.term > term) fail(P, at(p, 'term'), `must not exceed the leader's term ${term}, got ${e.term}`)
        lastTerm = e.term
        entries[i] = e
      }
      const m: AppendEntries = { type, term, leaderId, prevLogIndex, prevLogTerm, entries, leaderCommit: uint(P, o, 'leaderCommit', path) }
      return m
    }
    case 'append-entries-response': {
      const m: AppendEntriesResponse = {
        type,
        term,
        success: bool(P, o, 'success', path),
        matchIndex: uint(P, o, 'matchIndex', path),
        conflictIndex: uint(P, o, 'conflictIndex', path)
      }
      return m
    }
    case 'timeout-now': {
      const m: TimeoutNow = { type, term, leaderId: string(P, o, 'leaderId', path, PEER_ID_RULE) }
      return m
    }
    case 'install-snapshot': {
      const meta = decodeSnapshotMeta(field(o, 'meta'), at(path, 'meta'))
      if (meta.term > term) fail(P, at(at(path, 'meta'), 'term'), `must not exceed the leader's term ${term}, got ${meta.term}`)
      const size = uint(P, o, 'size', path, MAX_SNAPSHOT_BYTES)
      const offset = uint(P, o, 'offset', path, size)
      const data = field(o, 'data')
      if (!(data instanceof Uint8Array)) fail(P, at(path, 'data'), `must be a byte array, got ${describe(data)}`)
      if (data.byteLength > MAX_SNAPSHOT_CHUNK_BYTES) fail(P, at(path, 'data'), `must hold at most ${MAX_SNAPSHOT_CHUNK_BYTES} bytes, got ${data.byteLength}`)
      if (offset + data.byteLength > size) fail(P, at(path, 'data'), `ends at byte ${offset + data.byteLength}, past the snapshot's size ${size}`)
      if (data.byteLength === 0 && offset < size) fail(P, at(path, 'data'), `is empty at offset ${offset} of a snapshot of ${size} bytes`)
      const m: InstallSnapshot = { type, term, leaderId: string(P, o, 'leaderId', path, PEER_ID_RULE), meta, size, offset, data: new Uint8Array(data) }
      return m
    }
    case 'install-snapshot-response': {
      const m: InstallSnapshotResponse = {
        type,
        term,
        index: uint(P, o, 'index', path),
        received: uint(P, o, 'received', path, MAX_SNAPSHOT_BYTES),
        done: bool(P, o, 'done', path)
      }
      return m
    }
  }
}

/**
 * Validates a snapshot's metadata: an index of at least 1, and a valid configuration.
 *
 * @throws {MalformedMessageError}
 */
export function decodeSnapshotMeta (value: unknown, path = ''): SnapshotMeta {
  const o = object(P, value, path, META_KEYS)
  const index = uint(P, o, 'index', path)
  if (index === 0) fail(P, at(path, 'index'), 'must be at least 1, got 0')
  const term = uint(P, o, 'term', path)
  if (term === 0) fail(P, at(path, 'term'), 'must be at least 1, got 0')
  return { index, term, config: decodeConfiguration(field(o, 'config'), at(path, 'config')) }
}

/**
 * Validates one decoded log entry (also what a log store reads back from disk).
 *
 * @throws {MalformedMessageError}
 */
export function decodeLogEntry (value: unknown, path = '', budget: Budget = { left: Number.POSITIVE_INFINITY }): LogEntry {
  const loose = object(P, value, path, ANY_ENTRY_KEYS)
  const type = oneOf(P, loose, 'type', path, LOG_ENTRY_TYPES)
  const o = object(P, loose, path, ENTRY_KEYS[type])
  const term = uint(P, o, 'term', path)
  const index = uint(P, o, 'index', path)
  if (index === 0) fail(P, at(path, 'index'), 'must be at least 1 (log indices start at 1), got 0')
  switch (type) {
    case 'noop':
      return { term, index, type }
    case 'config':
      return { term, index, type, config: decodeConfiguration(field(o, 'config'), at(path, 'config')) }
    case 'command': {
      if (!Object.hasOwn(o, 'command')) fail(P, at(path, 'command'), 'is missing')
      const command = o.command
      plainData(P, command, at(path, 'command'), budget)
      return { term, index, type, command }
    }
  }
}

/**
 * Validates a Raft configuration: at least one voter, no peer twice, voters and learners
 * disjoint, at most `MAX_CONFIGURATION_MEMBERS` members.
 *
 * @throws {MalformedMessageError}
 */
export function decodeConfiguration (value: unknown, path = ''): RaftConfiguration {
  const o = object(P, value, path, CONFIG_KEYS)
  const voters = array(P, o, 'voters', path, MAX_CONFIGURATION_MEMBERS)
  const learners = array(P, o, 'learners', path, MAX_CONFIGURATION_MEMBERS)
  if (voters.length === 0) fail(P, at(path, 'voters'), 'must name at least one voter')
  if (voters.length + learners.length > MAX_CONFIGURATION_MEMBERS) fail(P, path, `must have at most ${MAX_CONFIGURATION_MEMBERS} members, got ${voters.length + learners.length}`)
  const seen = new Set<NodeId>()
  const ids = (list: readonly unknown[], key: string): NodeId[] => list.map((v, i) => {
    const p = at(at(path, key), i)
    const id = stringValue(P, v, p, PEER_ID_RULE)
    if (seen.has(id)) fail(P, p, `names ${JSON.stringify(id)} a second time`)
    seen.add(id)
    return id
  })
  return { voters: ids(voters, 'voters'), learners: ids(learners, 'learners') }
}

