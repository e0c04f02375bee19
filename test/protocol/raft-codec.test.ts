import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeRaftEnvelope, decodeRaftEnvelope, decodeLogEntry, encodeCbor, RAFT_CODEC } from '../../protocol/codec.ts'
import type { AppendEntries, RaftEnvelope } from '../../protocol/raft.ts'
import { MAX_ENTRIES_PER_APPEND } from '../../protocol/constants.ts'
import { raftEnvelopeArb, rejects } from './arbitraries.ts'

const roundTrip = suite('decodeRaftEnvelope round trip')

roundTrip('decodes what encodeRaftEnvelope wrote, for every message type (property)', () => {
  fc.assert(fc.property(raftEnvelopeArb, env => {
    assert.equal(decodeRaftEnvelope(encodeRaftEnvelope(env)), env)
  }), { numRuns: 500 })
})

roundTrip('writes only declared fields, so extra properties on the input do not break decoding', () => {
  const message = { type: 'timeout-now', term: 4, leaderId: 'a', internal: { secret: 1 } } as unknown as RaftEnvelope['message']
  assert.equal(decodeRaftEnvelope(encodeRaftEnvelope({ from: 'a', to: 'b', message })), { from: 'a', to: 'b', message: { type: 'timeout-now', term: 4, leaderId: 'a' } })
})

roundTrip('RAFT_CODEC names the protocol and the control frame limit', () => {
  assert.is(RAFT_CODEC.protocol, '/meshflow/raft/1')
  assert.is(RAFT_CODEC.maxFrameBytes, 4 * 1024 * 1024)
})

const reject = suite('decodeRaftEnvelope rejects')

const ae = (over: Partial<Record<keyof AppendEntries, unknown>> = {}): Uint8Array => encodeCbor({
  from: 'a',
  to: 'b',
  message: { type: 'append-entries', term: 5, leaderId: 'a', prevLogIndex: 10, prevLogTerm: 4, entries: [{ term: 5, index: 11, type: 'noop' }], leaderCommit: 10, ...over }
})
const msg = (message: unknown, extra: Record<string, unknown> = {}): Uint8Array => encodeCbor({ from: 'a', to: 'b', message, ...extra })
const snap = (over: Record<string, unknown> = {}): Uint8Array => msg({
  type: 'install-snapshot', term: 5, leaderId: 'a', meta: { index: 100, term: 4, config: { voters: ['a', 'b'], learners: [] } }, size: 10, offset: 4, data: new Uint8Array(6), ...over
})

reject('malformed InstallSnapshot chunks, naming the field', () => {
  assert.is(decodeRaftEnvelope(snap()).message.type, 'install-snapshot')
  rejects(() => decodeRaftEnvelope(snap({ data: 'abc' })), 'MalformedMessageError', /'message\.data' must be a byte array/)
  rejects(() => decodeRaftEnvelope(snap({ offset: 8 })), 'MalformedMessageError', /'message\.data' ends at byte 14, past the snapshot's size 10/)
  rejects(() => decodeRaftEnvelope(snap({ offset: 11 })), 'MalformedMessageError', /'message\.offset' must be at most 10/)
  rejects(() => decodeRaftEnvelope(snap({ offset: 4, data: new Uint8Array(0) })), 'MalformedMessageError', /'message\.data' is empty at offset 4/)
  rejects(() => decodeRaftEnvelope(snap({ size: 2 ** 30 })), 'MalformedMessageError', /'message\.size' must be at most/)
  rejects(() => decodeRaftEnvelope(snap({ size: 2 ** 21, offset: 0, data: new Uint8Array(2 ** 20 + 1) })), 'MalformedMessageError', /'message\.data' must hold at most 1048576 bytes/)
  rejects(() => decodeRaftEnvelope(snap({ meta: { index: 0, term: 4, config: { voters: ['a'], learners: [] } } })), 'MalformedMessageError', /'message\.meta\.index' must be at least 1/)
  rejects(() => decodeRaftEnvelope(snap({ meta: { index: 9, term: 6, config: { voters: ['a'], learners: [] } } })), 'MalformedMessageError', /'message\.meta\.term' must not exceed the leader's term 5/)
  rejects(() => decodeRaftEnvelope(snap({ meta: { index: 9, term: 4, config: { voters: [], learners: [] } } })), 'MalformedMessageError', /'message\.meta\.config\.voters'/)
  rejects(() => decodeRaftEnvelope(snap({ meta: { index: 9, term: 4 } })), 'MalformedMessageError', /'message\.meta\.config' is missing/)
  rejects(() => decodeRaftEnvelope(msg({ type: 'install-snapshot-response', term: 5, index: 3, received: -1, done: false })), 'MalformedMessageError', /'message\.received'/)
  rejects(() => decodeRaftEnvelope(msg({ type: 'install-snapshot-response', term: 5, index: 3, received: 1, done: 'yes' })), 'MalformedMessageError', /'message\.done'/)
})

roundTrip('an InstallSnapshot chunk decodes to a copy of its bytes', () => {
  const data = new Uint8Array([1, 2, 3])
  const env: RaftEnvelope = { from: 'a', to: 'b', message: { type: 'install-snapshot', term: 2, leaderId: 'a', meta: { index: 7, term: 2, config: { voters: ['a'], learners: ['b'] } }, size: 3, offset: 0, data } }
  const decoded = decodeRaftEnvelope(encodeRaftEnvelope(env))
  assert.equal(decoded, env)
  assert.instance((decoded.message as { data: Uint8Array }).data, Uint8Array)
})

reject('bytes that are not CBOR', () => {
  rejects(() => decodeRaftEnvelope(new Uint8Array([0xff, 0x00])), 'MalformedMessageError', /^Malformed raft message: the payload is not valid CBOR/)
})

reject('an empty payload', () => {
  rejects(() => decodeRaftEnvelope(new Uint8Array(0)), 'MalformedMessageError', 'Malformed raft message: the payload is empty')
})

reject('trailing bytes after the message', () => {
  const ok = encodeRaftEnvelope({ from: 'a', to: 'b', message: { type: 'timeout-now', term: 1, leaderId: 'a' } })
  const longer = new Uint8Array(ok.length + 1)
  longer.set(ok)
  rejects(() => decodeRaftEnvelope(longer), 'MalformedMessageError', /^Malformed raft message: the payload is not valid CBOR/)
})

reject('a payload that is not a map', () => {
  rejects(() => decodeRaftEnvelope(encodeCbor([1, 2])), 'MalformedMessageError', 'Malformed raft message: the payload must be a map with string keys, got an array of 2')
})

reject('an unknown field on the envelope', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 1, leaderId: 'a' }, { extra: 1 })), 'MalformedMessageError', "Malformed raft message: field 'extra' is not a field of this message")
})

reject('an unknown message type', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'install-snapshots', term: 1 })), 'MalformedMessageError', /^Malformed raft message: field 'message.type' must be one of 'request-vote', .*got the string "install-snapshots"$/)
})

reject('a field of another message type', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 1, leaderId: 'a', voteGranted: true })), 'MalformedMessageError', "Malformed raft message: field 'message.voteGranted' is not a field of this message")
})

reject('a missing field', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'request-vote-response', term: 1, preVote: false })), 'MalformedMessageError', "Malformed raft message: field 'message.voteGranted' is missing")
})

reject('negative, fractional, unsafe and non-number terms', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: -1, leaderId: 'a' })), 'MalformedMessageError', "Malformed raft message: field 'message.term' must be a non-negative integer, got the number -1")
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 1.5, leaderId: 'a' })), 'MalformedMessageError', "Malformed raft message: field 'message.term' must be a non-negative integer, got the number 1.5")
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 2 ** 60, leaderId: 'a' })), 'MalformedMessageError', /field 'message.term' must be a non-negative integer/)
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: '3', leaderId: 'a' })), 'MalformedMessageError', "Malformed raft message: field 'message.term' must be a non-negative integer, got the string \"3\"")
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 2n ** 70n, leaderId: 'a' })), 'MalformedMessageError', "Malformed raft message: field 'message.term' must be a non-negative integer, got the bigint 1180591620717411303424")
})

reject('a non-boolean flag', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'request-vote', term: 2, candidateId: 'a', lastLogIndex: 0, lastLogTerm: 0, preVote: 1, transfer: false })), 'MalformedMessageError', "Malformed raft message: field 'message.preVote' must be a boolean, got the number 1")
})

reject('empty, overlong and non-printable peer ids', () => {
  rejects(() => decodeRaftEnvelope(encodeCbor({ from: '', to: 'b', message: { type: 'timeout-now', term: 1, leaderId: 'a' } })), 'MalformedMessageError', "Malformed raft message: field 'from' must not be empty")
  rejects(() => decodeRaftEnvelope(encodeCbor({ from: 'x'.repeat(129), to: 'b', message: { type: 'timeout-now', term: 1, leaderId: 'a' } })), 'MalformedMessageError', "Malformed raft message: field 'from' must have at most 128 characters, got 129")
  rejects(() => decodeRaftEnvelope(msg({ type: 'timeout-now', term: 1, leaderId: 'a b' })), 'MalformedMessageError', "Malformed raft message: field 'message.leaderId' must be a peer id (printable ASCII), got the string \"a b\"")
})

reject('a candidate whose last log term is past its term', () => {
  rejects(() => decodeRaftEnvelope(msg({ type: 'request-vote', term: 2, candidateId: 'a', lastLogIndex: 3, lastLogTerm: 3, preVote: false, transfer: false })), 'MalformedMessageError', "Malformed raft message: field 'message.lastLogTerm' must not exceed the term 2, got 3")
})

reject('entries with a gap after prevLogIndex', () => {
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 12, type: 'noop' }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].index' must be 11 (entries follow prevLogIndex without gaps), got 12")
})

reject('entries whose terms decrease or pass the leader term', () => {
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 11, type: 'noop' }, { term: 4, index: 12, type: 'noop' }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[1].term' must not be lower than the previous entry's term 5, got 4")
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 3, index: 11, type: 'noop' }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].term' must not be lower than the previous entry's term 4, got 3")
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 6, index: 11, type: 'noop' }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].term' must not exceed the leader's term 5, got 6")
  rejects(() => decodeRaftEnvelope(ae({ prevLogTerm: 6, entries: [] })), 'MalformedMessageError', "Malformed raft message: field 'message.prevLogTerm' must not exceed the term 5, got 6")
})

reject('more entries than MAX_ENTRIES_PER_APPEND', () => {
  const entries = Array.from({ length: MAX_ENTRIES_PER_APPEND + 1 }, (_, i) => ({ term: 5, index: 11 + i, type: 'noop' }))
  rejects(() => decodeRaftEnvelope(ae({ entries })), 'MalformedMessageError', `Malformed raft message: field 'message.entries' must have at most ${MAX_ENTRIES_PER_APPEND} elements, got ${MAX_ENTRIES_PER_APPEND + 1}`)
})

reject('an entry of unknown type or with a foreign field', () => {
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 11, type: 'snapshot' }] })), 'MalformedMessageError', /field 'message.entries\[0\].type' must be one of 'noop', 'config', 'command', got the string "snapshot"/)
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 11, type: 'noop', command: 1 }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].command' is not a field of this message")
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 11, type: 'command' }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].command' is missing")
})

reject('configurations without voters, with duplicates or overlapping learners', () => {
  const cfg = (config: unknown): Uint8Array => ae({ entries: [{ term: 5, index: 11, type: 'config', config }] })
  rejects(() => decodeRaftEnvelope(cfg({ voters: [], learners: ['a'] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].config.voters' must name at least one voter")
  rejects(() => decodeRaftEnvelope(cfg({ voters: ['a', 'a'], learners: [] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].config.voters[1]' names \"a\" a second time")
  rejects(() => decodeRaftEnvelope(cfg({ voters: ['a'], learners: ['a'] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].config.learners[0]' names \"a\" a second time")
  rejects(() => decodeRaftEnvelope(cfg({ voters: ['a', 7], learners: [] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].config.voters[1]' must be a string, got the number 7")
})

reject('a command that is not plain data', () => {
  rejects(() => decodeRaftEnvelope(ae({ entries: [{ term: 5, index: 11, type: 'command', command: { when: /x/ } }] })), 'MalformedMessageError', "Malformed raft message: field 'message.entries[0].command.when' must be plain data, got a RegExp")
})

const entry = suite('decodeLogEntry')

entry('validates an entry read back on its own (log index starts at 1)', () => {
  assert.equal(decodeLogEntry({ term: 1, index: 1, type: 'noop' }), { term: 1, index: 1, type: 'noop' })
  rejects(() => decodeLogEntry({ term: 1, index: 0, type: 'noop' }), 'MalformedMessageError', "Malformed raft message: field 'index' must be at least 1 (log indices start at 1), got 0")
})

roundTrip.run()
reject.run()
entry.run()
