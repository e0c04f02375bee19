/**
 * Client messages (`/meshflow/client/1`, DESIGN §7). The CLI (`meshflow status --mesh MA`)
 * or the programmatic peer API opens a stream to any peer and sends requests; that peer
 * answers itself when it can, forwards the request to the leader, or tells the client where
 * the leader is with a `leader-redirect`. Requests carry an `id` that the answer echoes, so
 * several requests can share one stream. Job commands (submit, cancel, jobs) join this
 * union in the distributed-execution issue. The codec lives in `codec.ts`.
 */
import type { PeerRole } from './membership.ts'
import type { NodeId } from './raft.ts'

/** Asks for the mesh's status: `meshflow status`. */
export interface StatusRequest {
  readonly type: 'status-request'
  readonly id: number
}

/**
 * A peer's role as the status shows it: its Raft role, or `lost` once the failure detector
 * declared it dead (it stays listed until it is removed from the mesh).
 */
export type StatusRole = PeerRole | 'lost'

/** Every {@link StatusRole}. */
export const STATUS_ROLES: readonly StatusRole[] = Object.freeze(['leader', 'follower', 'candidate', 'learner', 'lost'])

/** One peer in a status response, as `status --json` prints it. */
export interface StatusPeer {
  readonly id: NodeId
  readonly addrs: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly slots: number
  readonly freeSlots: number
  readonly role: StatusRole
}

/**
 * The answer to `status-request`; apart from `type` and `id` exactly the shape `meshflow
 * status --json` prints (DESIGN §7). `leader` is null while no leader is known.
 */
export interface StatusResponse {
  readonly type: 'status-response'
  readonly id: number
  readonly leader: NodeId | null
  readonly term: number
  readonly peers: readonly StatusPeer[]
}

/**
 * Proposes an application command to the metadata log through the leader (a test and debug
 * command: `propose-response` comes once the entry is committed).
 */
export interface ProposeRequest {
  readonly type: 'propose-request'
  readonly id: number
  /** Any cbor-encodable value; it becomes a `command` log entry. */
  readonly command: unknown
}

/** The proposed command was committed at `index` in `term`. */
export interface ProposeResponse {
  readonly type: 'propose-response'
  readonly id: number
  readonly index: number
  readonly term: number
}

/** Error codes of `error-response`. */
export const CLIENT_ERROR_CODES = Object.freeze({
  /** No leader is known now (an election is running); retry shortly. */
  noLeader: 'no-leader',
  /** The request went to a peer that is not the leader and could not forward it. */
  notLeader: 'not-leader',
  /** The leader did not answer in time. */
  timeout: 'timeout',
  /** The request was understood but is wrong (the user's mistake). */
  badRequest: 'bad-request',
  /** The peer does not support this request. */
  unsupported: 'unsupported',
  /** The peer is stopping or lacks a resource. */
  unavailable: 'unavailable',
  /** A bug on the peer. */
  internal: 'internal'
} as const)

/** One of {@link CLIENT_ERROR_CODES}. */
export type ClientErrorCode = typeof CLIENT_ERROR_CODES[keyof typeof CLIENT_ERROR_CODES]

/** A request failed. `retriable` says whether sending it again may succeed. */
export interface ErrorResponse {
  readonly type: 'error-response'
  readonly id: number
  readonly code: ClientErrorCode
  /** One capitalised line for the user, naming what was wrong. */
  readonly message: string
  readonly retriable: boolean
}

/** Ask the leader instead: it is `leaderId`, reachable at `addrs`. */
export interface LeaderRedirect {
  readonly type: 'leader-redirect'
  readonly id: number
  readonly leaderId: NodeId
  readonly addrs: readonly string[]
}

/** A request a client sends. */
export type ClientRequest = StatusRequest | ProposeRequest
/** An answer a peer sends. */
export type ClientResponse = StatusResponse | ProposeResponse | ErrorResponse | LeaderRedirect
/** A message on `/meshflow/client/1`. */
export type ClientMessage = ClientRequest | ClientResponse

/** The `type` of every client message. */
export type ClientMessageType = ClientMessage['type']
