/**
 * Content addresses of blocks (DESIGN §6): CIDv1 with the raw codec and a sha2-256
 * multihash (https://github.com/multiformats/cid). A block's CID is computed from its
 * bytes, so a block fetched from another peer is verified by hashing it again.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidCidError } from './errors.ts'
import { errorMessage } from './error-message.ts'

/** The multicodec code of raw bytes. */
export const RAW_CODE = 0x55
/** The multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12
/** Length of a sha2-256 digest. */
const DIGEST_BYTES = 32
/** The longest CID string accepted (a base32 CIDv1 sha2-256 is 59 characters). */
const MAX_CID_TEXT_LENGTH = 128

/** A meshflow block CID: version 1, raw codec, sha2-256. */
export type BlockCid = CID<unknown, typeof RAW_CODE, typeof SHA2_256_CODE, 1>

/**
 * The CID of a block's bytes.
 *
 * @example
 * ```ts
 * cidOf(new TextEncoder().encode('hello')).toString() // 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
 * ```
 */
export function cidOf (bytes: Uint8Array): BlockCid {
  const digest = Digest.create(SHA2_256_CODE, createHash('sha256').update(bytes).digest())
  return CID.createV1(RAW_CODE, digest)
}

/** Whether `bytes` hash to `cid` (the check on every block read from another peer). */
export function cidMatches (cid: BlockCid, bytes: Uint8Array): boolean {
  return cidOf(bytes).equals(cid)
}

/**
 * Parses a CID string (multibase, base32 as `toString()` writes it, or base58btc) and
 * checks that it is a meshflow block CID.
 *
 * @throws {InvalidCidError} naming the text when it is not a CIDv1 with raw codec and sha2-256
 * @example
 * ```ts
 * parseCid('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq').code // 0x55
 * ```
 */
export function parseCid (text: string): BlockCid {
  if (typeof text !== 'string') throw new InvalidCidError(`Invalid CID: expected a string, got ${typeof text}`)
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  if (text.length === 0 || text.length > MAX_CID_TEXT_LENGTH) throw new InvalidCidError(`Invalid CID '${shown}': length must be 1 to ${MAX_CID_TEXT_LENGTH} characters, got ${text.length}`)
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch (err) {
    throw new InvalidCidError(`Invalid CID '${shown}': ${errorMessage(err)}`, { cause: err })
  }
  return checkBlockCid(cid, `'${shown}'`)
}

/**
 * Reads a CID from its binary form (as it travels inside messages) and checks that it is a
 * meshflow block CID.
 *
 * @throws {InvalidCidError}
 */
export function cidFromBytes (bytes: Uint8Array): BlockCid {
  if (!(bytes instanceof Uint8Array)) throw new InvalidCidError('Invalid CID: expected bytes')
  let cid: CID
  try {
    cid = CID.decode(bytes)
  } catch (err) {
    throw new InvalidCidError(`Invalid CID bytes (${bytes.byteLength} bytes): ${errorMessage(err)}`, { cause: err })
  }
  return checkBlockCid(cid, cid.toString())
}

function checkBlockCid (cid: CID, shown: string): BlockCid {
  if (cid.version !== 1) throw new InvalidCidError(`Invalid CID ${shown}: must be version 1, got version ${cid.version}`)
  if (cid.code !== RAW_CODE) throw new InvalidCidError(`Invalid CID ${shown}: must use the raw codec (0x55), got 0x${cid.code.toString(16)}`)
  if (cid.multihash.code !== SHA2_256_CODE) throw new InvalidCidError(`Invalid CID ${shown}: must hash with sha2-256 (0x12), got 0x${cid.multihash.code.toString(16)}`)
  if (cid.multihash.size !== DIGEST_BYTES) throw new InvalidCidError(`Invalid CID ${shown}: sha2-256 digest must be ${DIGEST_BYTES} bytes, got ${cid.multihash.size}`)
  return cid as BlockCid
}
