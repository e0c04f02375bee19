/**
 * The messages of `/meshflow/blocks/1` and their validating codec. A requester sends
 * requests with an `id` of its choosing; the holder answers each with a response of the
 * same `id`, not necessarily in order (it works on several at once).
 *
 *     get-request   { id, cid }         -> get-response { id, data } | error-response
 *     has-request   { id, cids: [cid] } -> has-response { id, present: [bool] } (same order)
 *     put-request   { id, cid, data }   -> put-response { id } once durable | error-response
 *     error-response { id, code, message, retriable }
 *
 * CIDs travel as their binary form. A block is at most `MAX_BLOCK_BYTES`, a frame at most
 * `MAX_BLOCKS_FRAME_BYTES`. The codec lives here rather than in protocol/ while the block
 * store is young; it follows protocol/'s conventions (cbor-x via `encodeCbor`/`decodeCbor`,
 * `MalformedMessageError` naming the field).
 *
 * @example
 * ```ts
 * const bytes = BLOCKS_CODEC.encode({ type: 'get-request', id: 1, cid })
 * BLOCKS_CODEC.decode(bytes) // { type: 'get-request', id: 1, cid }
 * ```
 */
import type { BlockCid } from '../../protocol/cid.ts'
import { cidFromBytes } from '../../protocol/cid.ts'
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import type { MessageCodec } from '../../protocol/codec.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCKS_FRAME_BYTES, MAX_MESSAGE_LENGTH } from '../../protocol/constants.ts'
import { BLOCKS_PROTOCOL } from '../../protocol/ids.ts'
import { array, at, bool, describe, fail, field, object, oneOf, string, text, uint, type WireObject } from '../../protocol/validation.ts'
import { MAX_HAS_CIDS } from './block-constants.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const P = 'blocks'

/** Asks for a block's bytes. */
export interface GetRequest { readonly type: 'get-request', readonly id: number, readonly cid: BlockCid }
/** A block's bytes (the requester checks them against the CID it asked for). */
export interface GetResponse { readonly type: 'get-response', readonly id: number, readonly data: Uint8Array }
/** Asks which of some blocks the peer holds. */
export interface HasRequest { readonly type: 'has-request', readonly id: number, readonly cids: readonly BlockCid[] }
/** One flag per CID asked about, in order. */
export interface HasResponse { readonly type: 'has-response', readonly id: number, readonly present: readonly boolean[] }
/** Asks the peer to store a block (the peer checks `data` against `cid`). */
export interface PutRequest { readonly type: 'put-request', readonly id: number, readonly cid: BlockCid, readonly data: Uint8Array }
/** The block of the put is durable on the peer. */
export interface PutResponse { readonly type: 'put-response', readonly id: number }

/**
 * Why a request failed: `not-found` (the peer holds no copy), `corrupt` (it holds only a
 * copy that fails its CID), `mismatch` (a put's bytes do not hash to its CID), `unavailable`
 * (the peer is stopping or its store is closed), `internal` (anything else).
 */
export const BLOCK_ERROR_CODES = Object.freeze(['not-found', 'corrupt', 'mismatch', 'unavailable', 'internal'] as const)
/** One of `BLOCK_ERROR_CODES`. */
export type BlockErrorCode = typeof BLOCK_ERROR_CODES[number]

/** A request failed; `retriable` says whether asking the same peer again can help. */
export interface BlockErrorResponse {
  readonly type: 'error-response'
  readonly id: number
  readonly code: BlockErrorCode
  readonly message: string
  readonly retriable: boolean
}

/** What a requester sends. */
export type BlockRequest = GetRequest | HasRequest | PutRequest
/** What a holder answers. */
export type BlockResponse = GetResponse | HasResponse | PutResponse | BlockErrorResponse
/** Every message of `/meshflow/blocks/1`. */
export type BlockMessage = BlockRequest | BlockResponse
/** The `type` tag of a block message. */
export type BlockMessageType = BlockMessage['type']

/** The `type` of every block message. */
export const BLOCK_MESSAGE_TYPES: readonly BlockMessageType[] = Object.freeze([
  'get-request', 'get-response', 'has-request', 'has-response', 'put-request', 'put-response', 'error-response'
])

const KEYS: Record<BlockMessageType, ReadonlySet<string>> = {
  'get-request': new Set(['type', 'id', 'cid']),
  'get-response': new Set(['type', 'id', 'data']),
  'has-request': new Set(['type', 'id', 'cids']),
  'has-response': new Set(['type', 'id', 'present']),
  'put-request': new Set(['type', 'id', 'cid', 'data']),
  'put-response': new Set(['type', 'id']),
  'error-response': new Set(['type', 'id', 'code', 'message', 'retriable'])
}
const ANY_KEYS = new Set(Object.values(KEYS).flatMap(s => [...s]))

/** Encodes a block message (declared fields only). */
export function encodeBlockMessage (m: BlockMessage): Uint8Array {
  switch (m.type) {
    case 'get-request':
      return encodeCbor({ type: m.type, id: m.id, cid: m.cid.bytes })
    case 'get-response':
      return encodeCbor({ type: m.type, id: m.id, data: m.data })
    case 'has-request':
      return encodeCbor({ type: m.type, id: m.id, cids: m.cids.map(c => c.bytes) })
    case 'has-response':
      return encodeCbor({ type: m.type, id: m.id, present: [...m.present] })
    case 'put-request':
      return encodeCbor({ type: m.type, id: m.id, cid: m.cid.bytes, data: m.data })
    case 'put-response':
      return encodeCbor({ type: m.type, id: m.id })
    case 'error-response':
      return encodeCbor({ type: m.type, id: m.id, code: m.code, message: m.message, retriable: m.retriable })
  }
}

/**
 * Decodes and validates a block message.
 *
 * @throws {MalformedMessageError} naming the field, for anything but a well-formed message
 */
export function decodeBlockMessage (bytes: Uint8Array): BlockMessage {
  const loose = object(P, decodeCbor(P, bytes), '', ANY_KEYS)
  const type = oneOf(P, loose, 'type', '', BLOCK_MESSAGE_TYPES)
  const o = object(P, loose, '', KEYS[type])
  const id = uint(P, o, 'id', '')
  switch (type) {
    case 'get-request':
      return { type, id, cid: cidField(o, 'cid', 'cid') }
    case 'get-response':
      return { type, id, data: blockBytes(o, 'data') }
    case 'has-request': {
      const list = array(P, o, 'cids', '', MAX_HAS_CIDS)
      return { type, id, cids: list.map((v, i) => cidValue(v, at('cids', i))) }
    }
    case 'has-response': {
      const list = array(P, o, 'present', '', MAX_HAS_CIDS)
      return {
        type,
        id,
        present: list.map((v, i) => {
          if (typeof v !== 'boolean') fail(P, at('present', i), `must be a boolean, got ${describe(v)}`)
          return v
        })
      }
    }
    case 'put-request':
      return { type, id, cid: cidField(o, 'cid', 'cid'), data: blockBytes(o, 'data') }
    case 'put-response':
      return { type, id }
    case 'error-response':
      return {
        type,
        id,
        code: oneOf(P, o, 'code', '', BLOCK_ERROR_CODES),
        message: string(P, o, 'message', '', text(MAX_MESSAGE_LENGTH)),
        retriable: bool(P, o, 'retriable', '')
      }
  }
}

function cidField (o: WireObject, key: string, path: string): BlockCid {
  return cidValue(field(o, key), path)
}

function cidValue (v: unknown, path: string): BlockCid {
  if (v === undefined) fail(P, path, 'is missing')
  if (!(v instanceof Uint8Array)) fail(P, path, `must be CID bytes, got ${describe(v)}`)
  try {
    return cidFromBytes(v)
  } catch (err) {
    return fail(P, path, `is not a block CID (${errorMessage(err)})`, { cause: err })
  }
}

function blockBytes (o: WireObject, key: string): Uint8Array {
  const v = field(o, key)
  if (v === undefined) fail(P, key, 'is missing')
  if (!(v instanceof Uint8Array)) fail(P, key, `must be a byte array, got ${describe(v)}`)
  if (v.byteLength > MAX_BLOCK_BYTES) fail(P, key, `must be at most ${MAX_BLOCK_BYTES} bytes, got ${v.byteLength}`)
  // a plain view: callers compare and store it like any other block
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/** `/meshflow/blocks/1`: block requests and their answers. */
export const BLOCKS_CODEC: MessageCodec<BlockMessage> = Object.freeze({
  protocol: BLOCKS_PROTOCOL,
  maxFrameBytes: MAX_BLOCKS_FRAME_BYTES,
  encode: encodeBlockMessage,
  decode: decodeBlockMessage
})
