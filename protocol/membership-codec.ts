/**
 * The codec of `/meshflow/membership/1`: MembershipMessage <-> bytes.
 */
import { MAX_MESSAGE_LENGTH, MAX_VERSION_LENGTH } from './constants.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import { PEER_ROLES, type Goodbye, type Heartbeat, type Hello, type MembershipMessage, type MembershipMessageType, type RaftGroupInfo } from './membership.ts'
import { addrs, groupId, labels, optional, peerId, peerIds, slots } from './peer-fields.ts'
import { at, bool, fail, object, oneOf, printable, string, text, uint } from './validation.ts'

const P = 'membership'

/** The `type` of every membership message. */
export const MEMBERSHIP_MESSAGE_TYPES: readonly MembershipMessageType[] = Object.freeze(['hello', 'heartbeat', 'goodbye'])

const KEYS: Record<MembershipMessageType, ReadonlySet<string>> = {
  hello: new Set(['type', 'peerId', 'addrs', 'labels', 'slots', 'freeSlots', 'version', 'startedAt', 'role', 'term', 'leaderId', 'repairing', 'group', 'founding']),
  heartbeat: new Set(['type', 'peerId', 'seq', 'freeSlots', 'role', 'term', 'leaderId', 'repairing', 'group', 'founding']),
  goodbye: new Set(['type', 'peerId', 'reason'])
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))

/** Copies the optional (term, leaderId) pair, repair flag and group fields, leaving out what is undefined. */
function withLeader<T extends object> (wire: T, m: { readonly term?: number, readonly leaderId?: string, readonly repairing?: true } & RaftGroupInfo): T {
  const out: Record<string, unknown> = wire as Record<string, unknown>
  if (m.term !== undefined) out.term = m.term
  if (m.leaderId !== undefined) out.leaderId = m.leaderId
  if (m.repairing === true) out.repairing = true
  if (m.group !== undefined) out.group = m.group
  if (m.founding !== undefined) out.founding = [...m.founding]
  return wire
}

/** Encodes a membership message (declared fields only; undefined optional fields are left out). */
export function encodeMembershipMessage (m: MembershipMessage): Uint8Array {
  switch (m.type) {
    case 'hello':
      return encodeCbor(withLeader({ type: m.type, peerId: m.peerId, addrs: [...m.addrs], labels: { ...m.labels }, slots: m.slots, freeSlots: m.freeSlots, version: m.version, startedAt: m.startedAt, role: m.role }, m))
    case 'heartbeat':
      return encodeCbor(withLeader({ type: m.type, peerId: m.peerId, seq: m.seq, freeSlots: m.freeSlots, role: m.role }, m))
    case 'goodbye':
      return encodeCbor({ type: m.type, peerId: m.peerId, reason: m.reason })
  }
}

/**
 * Decodes and validates a membership message.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed message
 * @example
 * ```ts
 * const bytes = encodeMembershipMessage({ type: 'goodbye', peerId: 'a', reason: 'stopped' })
 * decodeMembershipMessage(bytes) // { type: 'goodbye', peerId: 'a', reason: 'stopped' }
 * ```
 */
export function decodeMembershipMessage (bytes: Uint8Array): MembershipMessage {
  const loose = object(P, decodeCbor(P, bytes), '', ANY_KEYS)
  const type = oneOf(P, loose, 'type', '', MEMBERSHIP_MESSAGE_TYPES)
  const o = object(P, loose, '', KEYS[type])
  switch (type) {
    case 'hello': {
      const total = slots(P, o, 'slots', '')
      const free = slots(P, o, 'freeSlots', '')
      if (free > total) fail(P, 'freeSlots', `must not exceed slots (${total}), got ${free}`)
      const base = {
        type,
        peerId: peerId(P, o, 'peerId', ''),
        addrs: addrs(P, o, 'addrs', ''),
        labels: labels(P, o, 'labels', ''),
        slots: total,
        freeSlots: free,
        version: string(P, o, 'version', '', printable(MAX_VERSION_LENGTH)),
        startedAt: uint(P, o, 'startedAt', ''),
        role: oneOf(P, o, 'role', '', PEER_ROLES)
      }
      const m: Hello = withLeader(base, leader(o))
      return m
    }
    case 'heartbeat': {
      const base = {
        type,
        peerId: peerId(P, o, 'peerId', ''),
        seq: uint(P, o, 'seq', ''),
        freeSlots: slots(P, o, 'freeSlots', ''),
        role: oneOf(P, o, 'role', '', PEER_ROLES)
      }
      const m: Heartbeat = withLeader(base, leader(o))
      return m
    }
    case 'goodbye': {
      const m: Goodbye = { type, peerId: peerId(P, o, 'peerId', ''), reason: string(P, o, 'reason', '', text(MAX_MESSAGE_LENGTH)) }
      return m
    }
  }
}

function leader (o: Readonly<Record<string, unknown>>): { term?: number, leaderId?: string, repairing?: true } & RaftGroupInfo {
  const term = optional(o, 'term', () => uint(P, o, 'term', ''))
  const leaderId = optional(o, 'leaderId', () => peerId(P, o, 'leaderId', ''))
  if (leaderId !== undefined && term === undefined) fail(P, at('', 'term'), 'must be present when leaderId is')
  const group = optional(o, 'group', () => groupId(P, o, 'group', ''))
  const founding = optional(o, 'founding', () => peerIds(P, o, 'founding', ''))
  if (founding !== undefined && group === undefined) fail(P, at('', 'group'), 'must be present when founding is')
  if (founding?.length === 0) fail(P, at('', 'founding'), 'must name at least one voter')
  const out: { term?: number, leaderId?: string, repairing?: true, group?: string, founding?: string[] } = {}
  if (term !== undefined) out.term = term
  if (leaderId !== undefined) out.leaderId = leaderId
  if (optional(o, 'repairing', () => bool(P, o, 'repairing', '')) === true) out.repairing = true
  if (group !== undefined) out.group = group
  if (founding !== undefined) out.founding = founding
  return out
}
