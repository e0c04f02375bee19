import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeClientMessage, decodeClientMessage, encodeCbor, CLIENT_CODEC } from '../../protocol/codec.ts'
import type { ClientMessage, StatusResponse } from '../../protocol/client.ts'
import { clientMessageArb, rejects } from './arbitraries.ts'

const status: StatusResponse = {
  type: 'status-response',
  id: 7,
  leader: '12D3KooWLead',
  term: 4,
  peers: [
    { id: '12D3KooWLead', addrs: ['/ip4/127.0.0.1/tcp/7000/p2p/12D3KooWLead'], labels: {}, slots: 2, freeSlots: 2, role: 'leader' },
    { id: '12D3KooWEdge', addrs: [], labels: { tier: 'edge' }, slots: 1, freeSlots: 0, role: 'lost' }
  ]
}

const roundTrip = suite('decodeClientMessage round trip')

roundTrip('decodes every message type as encoded', () => {
  const messages: ClientMessage[] = [
    { type: 'status-request', id: 1 },
    status,
    { ...status, leader: null, peers: [] },
    { type: 'propose-request', id: 2, command: { op: 'set', key: 'k', value: [1, 2, { nested: true }] } },
    { type: 'propose-response', id: 2, index: 12, term: 4 },
    { type: 'error-response', id: 3, code: 'no-leader', message: 'No leader is known yet', retriable: true },
    { type: 'leader-redirect', id: 4, leaderId: '12D3KooWLead', addrs: ['/ip4/10.0.0.1/tcp/7000'] }
  ]
  for (const m of messages) assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
})

roundTrip('a status response minus type and id is the status --json shape of DESIGN §7', () => {
  const { type: _type, id: _id, ...json } = decodeClientMessage(encodeClientMessage(status)) as StatusResponse
  assert.equal(Object.keys(json), ['leader', 'term', 'peers'])
  assert.equal(Object.keys(json.peers[0]!), ['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role'])
})

roundTrip('decodes every generated message as encoded (property)', () => {
  fc.assert(fc.property(clientMessageArb, m => {
    assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
  }), { numRuns: 300 })
})

roundTrip('CLIENT_CODEC names the protocol', () => {
  assert.is(CLIENT_CODEC.protocol, '/meshflow/client/1')
})

const reject = suite('decodeClientMessage rejects')

reject('a request without an id, or with a negative one', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'status-request' })), 'MalformedMessageError', "Malformed client message: field 'id' is missing")
  rejects(() => decodeClientMessage(encodeCbor({ type: 'status-request', id: -2 })), 'MalformedMessageError', "Malformed client message: field 'id' must be a non-negative integer, got the number -2")
})

reject('a status peer with a bad field, named by its position', () => {
  const bad = { ...status, peers: [status.peers[0], { ...status.peers[1], role: 'boss' }] }
  rejects(() => decodeClientMessage(encodeCbor(bad)), 'MalformedMessageError', "Malformed client message: field 'peers[1].role' must be one of 'leader', 'follower', 'candidate', 'learner', 'lost', got the string \"boss\"")
  const freeTooMany = { ...status, peers: [{ ...status.peers[0], freeSlots: 3 }] }
  rejects(() => decodeClientMessage(encodeCbor(freeTooMany)), 'MalformedMessageError', "Malformed client message: field 'peers[0].freeSlots' must not exceed slots (2), got 3")
})

reject('a peer listed twice', () => {
  rejects(() => decodeClientMessage(encodeCbor({ ...status, peers: [status.peers[0], status.peers[0]] })), 'MalformedMessageError', "Malformed client message: field 'peers[1].id' names \"12D3KooWLead\" a second time")
})

reject('a leader that is neither a peer id nor null', () => {
  rejects(() => decodeClientMessage(encodeCbor({ ...status, leader: 5 })), 'MalformedMessageError', "Malformed client message: field 'leader' must be a string, got the number 5")
  rejects(() => decodeClientMessage(encodeCbor({ ...status, leader: undefined })), 'MalformedMessageError', "Malformed client message: field 'leader' is missing")
})

reject('an unknown error code, an empty message or a non-boolean retriable', () => {
  const e = { type: 'error-response', id: 1, code: 'no-leader', message: 'No leader', retriable: true }
  rejects(() => decodeClientMessage(encodeCbor({ ...e, code: 'EPERM' })), 'MalformedMessageError', /^Malformed client message: field 'code' must be one of 'no-leader', .* got the string "EPERM"$/)
  rejects(() => decodeClientMessage(encodeCbor({ ...e, message: '' })), 'MalformedMessageError', "Malformed client message: field 'message' must not be empty")
  rejects(() => decodeClientMessage(encodeCbor({ ...e, message: 'x'.repeat(16 * 1024 + 1) })), 'MalformedMessageError', "Malformed client message: field 'message' must have at most 16384 characters, got 16385")
  rejects(() => decodeClientMessage(encodeCbor({ ...e, retriable: 'yes' })), 'MalformedMessageError', "Malformed client message: field 'retriable' must be a boolean, got the string \"yes\"")
})

reject('a propose response at index 0', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'propose-response', id: 1, index: 0, term: 1 })), 'MalformedMessageError', "Malformed client message: field 'index' must be at least 1 (log indices start at 1), got 0")
})

reject('a proposed command with an Error inside', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'propose-request', id: 1, command: [new Error('boom')] })), 'MalformedMessageError', "Malformed client message: field 'command[0]' must be plain data, got an Error")
})

reject('a redirect without addrs', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'leader-redirect', id: 1, leaderId: 'a' })), 'MalformedMessageError', "Malformed client message: field 'addrs' is missing")
})

roundTrip.run()
reject.run()
