/**
 * Protocol ids: `/meshflow/<name>/<version>` (STYLE rule 9). A peer registers a handler
 * per id with `libp2p.handle(id, handler)`; bumping a version makes old and new peers refuse
 * each other's streams at protocol negotiation instead of misreading each other's frames.
 */
import { PROTOCOL_PREFIX } from './constants.ts'

/** Names of the meshflow protocols. */
export const PROTOCOL_NAMES = Object.freeze({
  raft: 'raft',
  membership: 'membership',
  client: 'client',
  data: 'data',
  blocks: 'blocks'
} as const)

/** One of the meshflow protocol names. */
export type ProtocolName = typeof PROTOCOL_NAMES[keyof typeof PROTOCOL_NAMES]

/** The current version of each protocol. */
export const PROTOCOL_VERSIONS = Object.freeze({
  raft: 1,
  membership: 1,
  client: 1,
  data: 2,
  blocks: 1
} as const satisfies Record<ProtocolName, number>)

/**
 * Builds a protocol id from a name and a version.
 *
 * @example
 * ```ts
 * protocolId('raft', 1) // '/meshflow/raft/1'
 * ```
 */
export function protocolId<N extends string, V extends number> (name: N, version: V): `${typeof PROTOCOL_PREFIX}/${N}/${V}` {
  return `${PROTOCOL_PREFIX}/${name}/${version}`
}

/** Raft between voters and learners: RequestVote, AppendEntries, TimeoutNow and responses. */
export const RAFT_PROTOCOL = protocolId(PROTOCOL_NAMES.raft, PROTOCOL_VERSIONS.raft)
/** Membership: hello on connect, then heartbeats (slots, labels, role) and goodbye. */
export const MEMBERSHIP_PROTOCOL = protocolId(PROTOCOL_NAMES.membership, PROTOCOL_VERSIONS.membership)
/**
 * Client: status and job commands from the CLI or the peer API to any peer, which forwards
 * them to the leader (or redirects the client there).
 */
export const CLIENT_PROTOCOL = protocolId(PROTOCOL_NAMES.client, PROTOCOL_VERSIONS.client)
/** Data: record batches, watermarks, status, end of input and credit between subtasks. */
export const DATA_PROTOCOL = protocolId(PROTOCOL_NAMES.data, PROTOCOL_VERSIONS.data)
/** Blocks: put, get and ask for content-addressed blocks between peers. */
export const BLOCKS_PROTOCOL = protocolId(PROTOCOL_NAMES.blocks, PROTOCOL_VERSIONS.blocks)

/** Every meshflow protocol id, for registering handlers and stream limits in one place. */
export const PROTOCOL_IDS = Object.freeze({
  raft: RAFT_PROTOCOL,
  membership: MEMBERSHIP_PROTOCOL,
  client: CLIENT_PROTOCOL,
  data: DATA_PROTOCOL,
  blocks: BLOCKS_PROTOCOL
} as const)
