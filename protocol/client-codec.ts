/**
 * The codec of `/meshflow/client/1`: ClientMessage <-> bytes.
 */
import { MAX_MESSAGE_LENGTH, MAX_SLOTS, MAX_STATUS_PEERS } from './constants.ts'
import { decodeCbor, encodeCbor } from './cbor.ts'
import {
  CLIENT_ERROR_CODES, STATUS_ROLES, type ClientErrorCode, type ClientMessage, type ClientMessageType, type StatusPeer
} from './client.ts'
import { addrs, labels, peerId, slots } from './peer-fields.ts'
import type { NodeId } from './raft.ts'
import {
  array, at, bool, fail, field, object, oneOf, PEER_ID_RULE, plainData, string, stringValue, text, uint
} from './validation.ts'

const P = 'client'

/** The `type` of every client message. */
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = Object.freeze([
  'status-request', 'status-response', 'propose-request', 'propose-response', 'error-response', 'leader-redirect'
])
const ERROR_CODES: readonly ClientErrorCode[] = Object.freeze(Object.values(CLIENT_ERROR_CODES))

const KEYS: Record<ClientMessageType, ReadonlySet<string>> = {
  'status-request': new Set(['type', 'id']),
  'status-response': new Set(['type', 'id', 'leader', 'term', 'peers']),
  'propose-request': new Set(['type', 'id', 'command']),
  'propose-response': new Set(['type', 'id', 'index', 'term']),
  'error-response': new Set(['type', 'id', 'code', 'message', 'retriable']),
  'leader-redirect': new Set(['type', 'id', 'leaderId', 'addrs'])
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))
const PEER_KEYS = new Set(['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role'])

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
        peers: m.peers.map(p => ({ id: p.id, addrs: [...p.addrs], labels: { ...p.labels }, slots: p.slots, freeSlots: p.freeSlots, role: p.role }))
      })
    case 'propose-request':
      return encodeCbor({ type: m.type, id: m.id, command: m.command })
    case 'propose-response':
      return encodeCbor({ type: m.type, id: m.id, index: m.index, term: m.term })
    case 'error-response':
      return encodeCbor({ type: m.type, id: m.id, code: m.code, message: m.message, retriable: m.retriable })
    case 'leader-redirect':
      return encodeCbor({ type: m.type, id: m.id, leaderId: m.leaderId, addrs: [...m.addrs] })
  }
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
      return { type, id, leader, term, peers }
    }
    case 'propose-request': {
      if (!Object.hasOwn(o, 'command')) fail(P, 'command', 'is missing')
      const command = o.command
      plainData(P, command, 'command', { left: bytes.byteLength })
      return { type, id, command }
    }
    case 'propose-response': {
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
  }
}

function statusPeer (value: unknown, path: string): StatusPeer {
  const o = object(P, value, path, PEER_KEYS)
  const total = slots(P, o, 'slots', path)
  const free = uint(P, o, 'freeSlots', path, MAX_SLOTS)
  if (free > total) fail(P, at(path, 'freeSlots'), `must not exceed slots (${total}), got ${free}`)
  return {
    id: peerId(P, o, 'id', path),
    addrs: addrs(P, o, 'addrs', path),
    labels: labels(P, o, 'labels', path),
    slots: total,
    freeSlots: free,
    role: oneOf(P, o, 'role', path, STATUS_ROLES)
  }
}
