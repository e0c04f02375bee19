/**
 * The codecs of meshflow's protocols, one validating decoder per protocol. Every decoder
 * takes the payload of one frame and returns a message of its protocol, built only from
 * checked fields, or throws a `MalformedMessageError` naming the field that was wrong; it
 * never throws anything else and never returns a half-valid message. Encoders take the
 * typed messages and write only their declared fields.
 *
 * A `MessageCodec` bundles a protocol's id, frame limit, encoder and decoder, which is what
 * `handleMessages` and `sendMessages` need to serve or speak a protocol.
 */
import { decodeClientMessage, encodeClientMessage } from './client-codec.ts'
import type { ClientMessage } from './client.ts'
import { MAX_CONTROL_FRAME_BYTES, MAX_DATA_FRAME_BYTES } from './constants.ts'
import { decodeDataMessage, encodeDataMessage } from './data-codec.ts'
import type { DataMessage } from './data.ts'
import { CLIENT_PROTOCOL, DATA_PROTOCOL, MEMBERSHIP_PROTOCOL, RAFT_PROTOCOL } from './ids.ts'
import { decodeMembershipMessage, encodeMembershipMessage } from './membership-codec.ts'
import type { MembershipMessage } from './membership.ts'
import { decodeRaftEnvelope, encodeRaftEnvelope } from './raft-codec.ts'
import type { RaftEnvelope } from './raft.ts'

export { encodeCbor, decodeCbor } from './cbor.ts'
export { encodeRaftEnvelope, decodeRaftEnvelope, decodeRaftMessage, decodeLogEntry, decodeConfiguration, RAFT_MESSAGE_TYPES } from './raft-codec.ts'
export { encodeMembershipMessage, decodeMembershipMessage, MEMBERSHIP_MESSAGE_TYPES } from './membership-codec.ts'
export { encodeClientMessage, decodeClientMessage, CLIENT_MESSAGE_TYPES } from './client-codec.ts'
export { encodeDataMessage, decodeDataMessage, DATA_MESSAGE_TYPES } from './data-codec.ts'

/** A protocol's wire format: how its messages become frames and back. */
export interface MessageCodec<T> {
  /** The protocol id to negotiate (`/meshflow/raft/1`). */
  readonly protocol: string
  /** The largest frame a receiver accepts on this protocol. */
  readonly maxFrameBytes: number
  /** One message to the payload of one frame. */
  encode(message: T): Uint8Array
  /**
   * The payload of one frame to one message.
   *
   * @throws {MalformedMessageError} for anything but a well-formed message
   */
  decode(bytes: Uint8Array): T
}

/** `/meshflow/raft/1`: Raft envelopes. */
export const RAFT_CODEC: MessageCodec<RaftEnvelope> = Object.freeze({
  protocol: RAFT_PROTOCOL,
  maxFrameBytes: MAX_CONTROL_FRAME_BYTES,
  encode: encodeRaftEnvelope,
  decode: decodeRaftEnvelope
})

/** `/meshflow/membership/1`: hello, heartbeat, goodbye. */
export const MEMBERSHIP_CODEC: MessageCodec<MembershipMessage> = Object.freeze({
  protocol: MEMBERSHIP_PROTOCOL,
  maxFrameBytes: MAX_CONTROL_FRAME_BYTES,
  encode: encodeMembershipMessage,
  decode: decodeMembershipMessage
})

/** `/meshflow/client/1`: status and commands from clients, answers from peers. */
export const CLIENT_CODEC: MessageCodec<ClientMessage> = Object.freeze({
  protocol: CLIENT_PROTOCOL,
  maxFrameBytes: MAX_CONTROL_FRAME_BYTES,
  encode: encodeClientMessage,
  decode: decodeClientMessage
})

/**
 * `/meshflow/data/2`: its id and frame limit; `encode`/`decode` are the CBOR data messages,
 * of which the stream carries `open-channel` (inside mux frames, see `data-mux.ts`).
 */
export const DATA_CODEC: MessageCodec<DataMessage> = Object.freeze({
  protocol: DATA_PROTOCOL,
  maxFrameBytes: MAX_DATA_FRAME_BYTES,
  encode: encodeDataMessage,
  decode: decodeDataMessage
})
