import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeMembershipMessage, decodeMembershipMessage, encodeCbor, MEMBERSHIP_CODEC } from '../../protocol/codec.ts'
import type { Hello } from '../../protocol/membership.ts'
import { membershipMessageArb, rejects } from './arbitraries.ts'

const hello: Hello = {
  type: 'hello',
  peerId: '12D3KooWAbc',
  addrs: ['/ip4/127.0.0.1/tcp/7000/p2p/12D3KooWAbc'],
  labels: { tier: 'edge', zone: 'eu-west-1' },
  slots: 4,
  freeSlots: 3,
  version: '0.1.0',
  startedAt: 1_700_000_000_000,
  role: 'follower',
  term: 3,
  leaderId: '12D3KooWLead'
}

const roundTrip = suite('decodeMembershipMessage round trip')

roundTrip('decodes hello, heartbeat and goodbye as encoded', () => {
  assert.equal(decodeMembershipMessage(encodeMembershipMessage(hello)), hello)
  const { term: _t, leaderId: _l, ...noLeader } = hello
  assert.equal(decodeMembershipMessage(encodeMembershipMessage(noLeader)), noLeader)
  assert.not.ok('term' in decodeMembershipMessage(encodeMembershipMessage(noLeader)))
  const hb = { type: 'heartbeat', peerId: 'a', seq: 9, freeSlots: 1, role: 'leader', term: 2, leaderId: 'a' } as const
  assert.equal(decodeMembershipMessage(encodeMembershipMessage(hb)), hb)
  assert.equal(decodeMembershipMessage(encodeMembershipMessage({ type: 'goodbye', peerId: 'a', reason: 'SIGTERM' })), { type: 'goodbye', peerId: 'a', reason: 'SIGTERM' })
})

roundTrip('carries the repairing flag of a peer that lost its Raft state, and only when set', () => {
  const hb = { type: 'heartbeat', peerId: 'a', seq: 9, freeSlots: 1, role: 'learner', term: 2, leaderId: 'b', repairing: true } as const
  assert.equal(decodeMembershipMessage(encodeMembershipMessage(hb)), hb)
  assert.equal(decodeMembershipMessage(encodeMembershipMessage({ ...hello, repairing: true })), { ...hello, repairing: true })
  assert.not.ok('repairing' in decodeMembershipMessage(encodeCbor({ ...hb, repairing: false })))
  rejects(() => decodeMembershipMessage(encodeCbor({ ...hb, repairing: 'yes' })), 'MalformedMessageError', /field 'repairing' must be a boolean/)
})

roundTrip('decodes every generated message as encoded (property)', () => {
  fc.assert(fc.property(membershipMessageArb, m => {
    assert.equal(decodeMembershipMessage(encodeMembershipMessage(m)), m)
  }), { numRuns: 300 })
})

roundTrip('MEMBERSHIP_CODEC names the protocol', () => {
  assert.is(MEMBERSHIP_CODEC.protocol, '/meshflow/membership/1')
})

const reject = suite('decodeMembershipMessage rejects')
const raw = (over: Record<string, unknown>): Uint8Array => encodeCbor({ ...hello, ...over })

reject('an unknown type', () => {
  rejects(() => decodeMembershipMessage(encodeCbor({ type: 'ping' })), 'MalformedMessageError', "Malformed membership message: field 'type' must be one of 'hello', 'heartbeat', 'goodbye', got the string \"ping\"")
})

reject('a field of another message type', () => {
  rejects(() => decodeMembershipMessage(encodeCbor({ type: 'goodbye', peerId: 'a', reason: '', seq: 1 })), 'MalformedMessageError', "Malformed membership message: field 'seq' is not a field of this message")
})

reject('more free slots than slots', () => {
  rejects(() => decodeMembershipMessage(raw({ slots: 2, freeSlots: 3 })), 'MalformedMessageError', "Malformed membership message: field 'freeSlots' must not exceed slots (2), got 3")
})

reject('a negative or huge slot count', () => {
  rejects(() => decodeMembershipMessage(raw({ slots: -1 })), 'MalformedMessageError', "Malformed membership message: field 'slots' must be a non-negative integer, got the number -1")
  rejects(() => decodeMembershipMessage(raw({ slots: 1e6, freeSlots: 0 })), 'MalformedMessageError', "Malformed membership message: field 'slots' must be at most 65536, got 1000000")
})

reject('addrs that are not multiaddr strings, or too many', () => {
  rejects(() => decodeMembershipMessage(raw({ addrs: ['127.0.0.1:7000'] })), 'MalformedMessageError', "Malformed membership message: field 'addrs[0]' must be a multiaddr (printable ASCII starting with /), got the string \"127.0.0.1:7000\"")
  rejects(() => decodeMembershipMessage(raw({ addrs: '/ip4/1.2.3.4' })), 'MalformedMessageError', "Malformed membership message: field 'addrs' must be an array, got the string \"/ip4/1.2.3.4\"")
  rejects(() => decodeMembershipMessage(raw({ addrs: Array.from({ length: 65 }, () => '/ip4/1.2.3.4') })), 'MalformedMessageError', "Malformed membership message: field 'addrs' must have at most 64 elements, got 65")
})

reject('labels that are not a map of strings', () => {
  rejects(() => decodeMembershipMessage(raw({ labels: ['tier'] })), 'MalformedMessageError', "Malformed membership message: field 'labels' must be a map of strings to strings, got an array of 1")
  rejects(() => decodeMembershipMessage(raw({ labels: { tier: 1 } })), 'MalformedMessageError', "Malformed membership message: field 'labels.tier' must be a string, got the number 1")
  rejects(() => decodeMembershipMessage(raw({ labels: { 'a=b': 'c' } })), 'MalformedMessageError', "Malformed membership message: field 'labels' must be a label key (printable ASCII without spaces or =), got the string \"a=b\"")
  rejects(() => decodeMembershipMessage(raw({ labels: { tier: 'edge\n' } })), 'MalformedMessageError', "Malformed membership message: field 'labels.tier' must be a label value without control characters, got the string \"edge\\n\"")
  rejects(() => decodeMembershipMessage(raw({ labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) })), 'MalformedMessageError', "Malformed membership message: field 'labels' must have at most 64 labels, got 65")
})

reject("a '__proto__' label written as a plain CBOR map", () => {
  // a CBOR map (not a cbor-x record) decodes to a Map, which keeps the key as it is
  const labels = new Map([['__proto__', 'x']])
  rejects(() => decodeMembershipMessage(raw({ labels })), 'MalformedMessageError', "Malformed membership message: field 'labels' must not have the key '__proto__'")
  const m = decodeMembershipMessage(raw({ labels: new Map([['tier', 'edge']]) })) as Hello
  assert.equal(m.labels, { tier: 'edge' })
  assert.is(Object.getPrototypeOf(m.labels), Object.prototype)
})

reject('an unknown role', () => {
  rejects(() => decodeMembershipMessage(raw({ role: 'jobmanager' })), 'MalformedMessageError', "Malformed membership message: field 'role' must be one of 'leader', 'follower', 'candidate', 'learner', got the string \"jobmanager\"")
})

reject('a leaderId without a term', () => {
  rejects(() => decodeMembershipMessage(encodeCbor({ type: 'heartbeat', peerId: 'a', seq: 1, freeSlots: 0, role: 'follower', leaderId: 'b' })), 'MalformedMessageError', "Malformed membership message: field 'term' must be present when leaderId is")
})

reject('a version with spaces', () => {
  rejects(() => decodeMembershipMessage(raw({ version: '1 2' })), 'MalformedMessageError', "Malformed membership message: field 'version' must be printable ASCII without spaces, got the string \"1 2\"")
})

reject('a founding without a group, an empty founding, a founding naming a peer twice, a group id with spaces', () => {
  rejects(() => decodeMembershipMessage(raw({ founding: ['a', 'b'] })), 'MalformedMessageError', "Malformed membership message: field 'group' must be present when founding is")
  rejects(() => decodeMembershipMessage(raw({ group: 'a@1', founding: [] })), 'MalformedMessageError', "Malformed membership message: field 'founding' must name at least one voter")
  rejects(() => decodeMembershipMessage(raw({ group: 'a@1', founding: ['a', 'a'] })), 'MalformedMessageError', "Malformed membership message: field 'founding' must not name a peer twice")
  rejects(() => decodeMembershipMessage(raw({ group: 'a @1' })), 'MalformedMessageError', "Malformed membership message: field 'group' must be a Raft group id (printable ASCII), got the string \"a @1\"")
  const m = decodeMembershipMessage(raw({ group: 'a@1', founding: ['a', 'b', 'c'] })) as Hello
  assert.equal([m.group, m.founding], ['a@1', ['a', 'b', 'c']])
})

roundTrip.run()
reject.run()
