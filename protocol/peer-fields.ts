/**
 * Checks for the peer fields that membership and client messages share: multiaddr lists,
 * labels, slot counts and optional (term, leader) pairs.
 */
import {
  MAX_ADDRS, MAX_CONFIGURATION_MEMBERS, MAX_GROUP_ID_LENGTH, MAX_LABEL_KEY_LENGTH, MAX_LABEL_VALUE_LENGTH, MAX_LABELS, MAX_MULTIADDR_LENGTH, MAX_SLOTS
} from './constants.ts'
import type { NodeId } from './raft.ts'
import { array, at, fail, field, PEER_ID_RULE, stringMap, stringValue, uint, type StringRule, type WireObject } from './validation.ts'

const MULTIADDR_RULE: StringRule = { min: 2, max: MAX_MULTIADDR_LENGTH, pattern: /^\/[\x21-\x7e]+$/, expected: 'a multiaddr (printable ASCII starting with /)' }
const LABEL_KEY_RULE: StringRule = { min: 1, max: MAX_LABEL_KEY_LENGTH, pattern: /^[\x21-\x3c\x3e-\x7e]+$/, expected: 'a label key (printable ASCII without spaces or =)' }
// eslint-disable-next-line no-control-regex
const LABEL_VALUE_RULE: StringRule = { max: MAX_LABEL_VALUE_LENGTH, pattern: /^[^\u0000-\u001f\u007f-\u009f]*$/, expected: 'a label value without control characters' }

/** A list of at most `MAX_ADDRS` multiaddr strings. */
export function addrs (protocol: string, o: WireObject, key: string, path: string): string[] {
  const list = array(protocol, o, key, path, MAX_ADDRS)
  return list.map((v, i) => stringValue(protocol, v, at(at(path, key), i), MULTIADDR_RULE))
}

/** A map of at most `MAX_LABELS` label keys to values, copied into a fresh object. */
export function labels (protocol: string, o: WireObject, key: string, path: string): Record<string, string> {
  return stringMap(protocol, o, key, path, { max: MAX_LABELS, noun: 'labels', key: LABEL_KEY_RULE, value: LABEL_VALUE_RULE })
}

/** A slot count: a non-negative integer up to `MAX_SLOTS`. */
export function slots (protocol: string, o: WireObject, key: string, path: string): number {
  return uint(protocol, o, key, path, MAX_SLOTS)
}

/** An optional field: absent or undefined is `undefined`, anything else goes through `check`. */
export function optional<T> (o: WireObject, key: string, check: () => T): T | undefined {
  return field(o, key) === undefined ? undefined : check()
}

/** A peer id field. */
export function peerId (protocol: string, o: WireObject, key: string, path: string): NodeId {
  return stringValue(protocol, field(o, key), at(path, key), PEER_ID_RULE)
}

const GROUP_ID_RULE: StringRule = { min: 1, max: MAX_GROUP_ID_LENGTH, pattern: /^[\x21-\x7e]+$/, expected: 'a Raft group id (printable ASCII)' }

/** A Raft group id field (`<founder peer id>@<founding time>`). */
export function groupId (protocol: string, o: WireObject, key: string, path: string): string {
  return stringValue(protocol, field(o, key), at(path, key), GROUP_ID_RULE)
}

/** A list of distinct peer ids, at most `MAX_CONFIGURATION_MEMBERS` of them. */
export function peerIds (protocol: string, o: WireObject, key: string, path: string): NodeId[] {
  const list = array(protocol, o, key, path, MAX_CONFIGURATION_MEMBERS)
  const ids = list.map((v, i) => stringValue(protocol, v, at(at(path, key), i), PEER_ID_RULE))
  if (new Set(ids).size !== ids.length) fail(protocol, at(path, key), 'must not name a peer twice')
  return ids
}
