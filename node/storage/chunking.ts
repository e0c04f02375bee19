/**
 * Large values as blocks (DESIGN §6): a value is cut into fixed-size chunks, each stored as
 * a block, and a manifest block lists the chunks' CIDs; the manifest's CID names the value.
 * A manifest of more than `maxManifestEntries` chunks is split, and a manifest of
 * manifests (`level` 1, 2 …) lists the parts, so every manifest stays far below a block.
 *
 * A manifest is CBOR, written by hand in RFC 8949 core deterministic encoding (§4.2.1:
 * shortest integers, definite lengths, keys in bytewise order), so the same value always
 * gives the same manifest bytes and thus the same CID, whatever CBOR library reads it:
 *
 *     { size: uint, type: 'meshflow-manifest', level?: uint (only when > 0), chunks: [bytes] }
 *
 * `size` is the value's length in bytes (of all chunks under it, for level > 0); `chunks`
 * are binary CIDs. Every read checks each chunk against its CID (the block getter does),
 * each sub-manifest's level, and that the sizes add up.
 *
 * These functions work on any block getter or putter: the local `BlockStore`, or a
 * `BlockFetcher` reading chunks from other peers.
 *
 * @example
 * const cid = await writeLarge(store, bytes)
 * const back = await readLargeBytes((c, o) => fetcher.fetch(c, { ...o, from }), cid)
 */
import { Decoder } from 'cbor-x'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import { cidFromBytes, parseCid, type BlockCid } from '../../protocol/cid.ts'
import {
  DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LARGE_VALUE_BYTES, DEFAULT_READ_AHEAD, MAX_MANIFEST_ENTRIES
} from './block-constants.ts'
import { BlockTooLargeError, InvalidManifestError } from './block-errors.ts'

/** The `type` of every manifest. */
export const MANIFEST_TYPE = 'meshflow-manifest'

/** A decoded manifest. */
export interface Manifest {
  /** Bytes of the value under this manifest. */
  readonly size: number
  /** 0: `chunks` are the value's chunks; n > 0: `chunks` are manifests of level n - 1. */
  readonly level: number
  readonly chunks: readonly BlockCid[]
}

/** Stores blocks; resolves with their CIDs once they are durable. */
export interface BlockPutter {
  putMany(blocks: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<BlockCid[]>
}

/**
 * Reads one block, verified against its CID.
 *
 * @throws {BlockNotFoundError | CorruptBlockError} when no valid copy can be had
 */
export type BlockGetter = (cid: BlockCid, options: { signal?: AbortSignal }) => Promise<Uint8Array>

/** Options of `writeLarge`. */
export interface WriteLargeOptions {
  /** Bytes per chunk (default and maximum: one block, 1 MiB). */
  readonly chunkBytes?: number
  /** Entries per manifest before it is split (default 16384; at least 2). */
  readonly maxManifestEntries?: number
  readonly signal?: AbortSignal
}

/** Options of `readLarge` and `readLargeBytes`. */
export interface ReadLargeOptions {
  /** Chunks fetched ahead of the one being consumed (default 4). */
  readonly readAhead?: number
  readonly signal?: AbortSignal
}

const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
const encoder = new TextEncoder()
/** Chunks put in one call while writing (they are views of the value: no copies). */
const PUT_BATCH = 16

/**
 * Stores `bytes` as chunks under a manifest and resolves with the manifest's CID. Even an
 * empty or small value gets a manifest, so the CID of a large value is never mistaken for
 * a plain block's. Chunks already stored (identical content) are not written again.
 */
export async function writeLarge (putter: BlockPutter, bytes: Uint8Array, options: WriteLargeOptions = {}): Promise<BlockCid> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  const maxEntries = options.maxManifestEntries ?? MAX_MANIFEST_ENTRIES
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_BLOCK_BYTES) throw new RangeError(`chunkBytes must be 1 to ${MAX_BLOCK_BYTES}, got ${chunkBytes}`)
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 2 || maxEntries > MAX_MANIFEST_ENTRIES) throw new RangeError(`maxManifestEntries must be 2 to ${MAX_MANIFEST_ENTRIES}, got ${maxEntries}`)
  const signal = options.signal
  const put = async (blocks: Uint8Array[]): Promise<BlockCid[]> => await putter.putMany(blocks, signal === undefined ? {} : { signal })

  // level 0: the chunks themselves
  let entries: { cid: BlockCid, size: number }[] = []
  let batch: Uint8Array[] = []
  const flushBatch = async (): Promise<void> => {
    const cids = await put(batch)
    cids.forEach((cid, i) => { entries.push({ cid, size: batch[i]!.byteLength }) })
    batch = []
  }
  for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) {
    signal?.throwIfAborted()
    batch.push(bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.byteLength)))
    if (batch.length >= PUT_BATCH) await flushBatch()
  }
  if (batch.length > 0) await flushBatch()

  // manifests, level by level, until one names the whole value
  for (let level = 0; ; level++) {
    const manifests: Uint8Array[] = []
    const sizes: number[] = []
    for (let i = 0; i < Math.max(entries.length, 1); i += maxEntries) {
      const group = entries.slice(i, i + maxEntries)
      const size = group.reduce((n, e) => n + e.size, 0)
      manifests.push(encodeManifest({ size, level, chunks: group.map(e => e.cid) }))
      sizes.push(size)
    }
    signal?.throwIfAborted()
    const cids = await put(manifests)
    if (cids.length === 1) return cids[0]!
    entries = cids.map((cid, i) => ({ cid, size: sizes[i]! }))
  }
}

/**
 * The chunks of the value named by `cid`, in order, each verified by `get`; checks levels
 * and sizes on the way. Chunks are fetched up to `readAhead` ahead of the consumer.
 *
 * @throws {InvalidManifestError} when `cid` is not a manifest or the manifests disagree with the chunks
 * @throws whatever `get` throws (`BlockNotFoundError`, `CorruptBlockError`), or `signal.reason`
 */
export async function * readLarge (get: BlockGetter, cid: BlockCid, options: ReadLargeOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const root = decodeManifest(cid, await get(cid, options.signal === undefined ? {} : { signal: options.signal }))
  yield * readChunks(get, cid, root, options)
}

/**
 * The value named by `cid` in one `Uint8Array` (see `readLarge`).
 *
 * @throws {BlockTooLargeError} when the value is larger than `maxBytes` (default 1 GiB): stream it with `readLarge`
 */
export async function readLargeBytes (get: BlockGetter, cid: BlockCid, options: ReadLargeOptions & { readonly maxBytes?: number } = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LARGE_VALUE_BYTES
  const root = decodeManifest(cid, await get(cid, options.signal === undefined ? {} : { signal: options.signal }))
  if (root.size > maxBytes) throw new BlockTooLargeError(root.size, maxBytes, `Value ${cid.toString()} of ${root.size} bytes exceeds the limit of ${maxBytes} bytes (read it in chunks with readLarge)`)
  const out = new Uint8Array(root.size)
  let offset = 0
  // readChunks checks the running total against root.size before a chunk is yielded
  for await (const chunk of readChunks(get, cid, root, options)) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

async function * readChunks (get: BlockGetter, rootCid: BlockCid, root: Manifest, options: ReadLargeOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const readAhead = Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD)
  // aborted when the consumer stops early or a read fails, so fetches ahead stop too
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([stop.signal, options.signal])
  const shown = rootCid.toString()

  async function * leaves (m: Manifest, mcid: BlockCid): AsyncGenerator<BlockCid, void, undefined> {
    if (m.level === 0) {
      yield * m.chunks
      return
    }
    let sum = 0
    for (const childCid of m.chunks) {
      const child = decodeManifest(childCid, await get(childCid, { signal }))
      if (child.level !== m.level - 1) throw new InvalidManifestError(mcid.toString(), `lists ${childCid.toString()} of level ${child.level} in a manifest of level ${m.level}`)
      sum += child.size
      if (sum > m.size) throw new InvalidManifestError(mcid.toString(), `its parts hold more than its size of ${m.size} bytes`)
      yield * leaves(child, childCid)
    }
    if (sum !== m.size) throw new InvalidManifestError(mcid.toString(), `its parts hold ${sum} bytes, not its size of ${m.size}`)
  }

  const window: Promise<Uint8Array>[] = []
  let total = 0
  const check = (chunk: Uint8Array): Uint8Array => {
    total += chunk.byteLength
    if (total > root.size) throw new InvalidManifestError(shown, `its chunks hold more than its size of ${root.size} bytes`)
    return chunk
  }
  try {
    for await (const leaf of leaves(root, rootCid)) {
      signal.throwIfAborted()
      const pending = get(leaf, { signal })
      // a read ahead may fail while an earlier one is awaited: it is awaited (and thrown) in turn
      void pending.catch(() => {})
      window.push(pending)
      if (window.length >= readAhead) yield check(await window.shift()!)
    }
    while (window.length > 0) yield check(await window.shift()!)
    if (total !== root.size) throw new InvalidManifestError(shown, `its chunks hold ${total} bytes, not its size of ${root.size}`)
  } finally {
    stop.abort(new Error('Stopped reading a large value'))
  }
}

/**
 * The CIDs of every block of the value named by `cid`: its manifests, read with `get` (the
 * root first), and its chunks, which are not read. What must be copied to move the value.
 *
 * @throws {InvalidManifestError} when `cid` is not a manifest or a manifest lists one of the wrong level
 * @throws whatever `get` throws (`BlockNotFoundError`, `CorruptBlockError`), or `signal.reason`
 */
export async function largeValueBlocks (get: BlockGetter, cid: BlockCid, options: { signal?: AbortSignal } = {}): Promise<BlockCid[]> {
  const o = options.signal === undefined ? {} : { signal: options.signal }
  const out: BlockCid[] = []
  const walk = async (mcid: BlockCid, m: Manifest): Promise<void> => {
    out.push(mcid)
    if (m.level === 0) {
      out.push(...m.chunks)
      return
    }
    for (const childCid of m.chunks) {
      const child = decodeManifest(childCid, await get(childCid, o))
      if (child.level !== m.level - 1) throw new InvalidManifestError(mcid.toString(), `lists ${childCid.toString()} of level ${child.level} in a manifest of level ${m.level}`)
      await walk(childCid, child)
    }
  }
  await walk(cid, decodeManifest(cid, await get(cid, o)))
  return out
}

/** The deterministic CBOR of a manifest (see the module comment). */
export function encodeManifest (m: Manifest): Uint8Array {
  const parts: Uint8Array[] = []
  parts.push(head(5, m.level > 0 ? 4 : 3))
  parts.push(text('size'), head(0, m.size))
  parts.push(text('type'), text(MANIFEST_TYPE))
  if (m.level > 0) parts.push(text('level'), head(0, m.level))
  parts.push(text('chunks'), head(4, m.chunks.length))
  for (const c of m.chunks) parts.push(head(2, c.bytes.byteLength), c.bytes)
  let length = 0
  for (const p of parts) length += p.byteLength
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.byteLength
  }
  return out
}

/**
 * Reads and checks a manifest block.
 *
 * @throws {InvalidManifestError} naming `cid` for anything but a well-formed manifest
 */
export function decodeManifest (cid: BlockCid, bytes: Uint8Array): Manifest {
  const bad = (problem: string, cause?: unknown): never => {
    throw new InvalidManifestError(cid.toString(), problem, cause === undefined ? undefined : { cause })
  }
  let value: unknown
  try {
    value = decoder.decode(bytes)
  } catch (err) {
    return bad('not CBOR', err)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return bad('not a CBOR map')
  const o = value as Record<string, unknown>
  for (const key of Object.keys(o)) if (!['size', 'type', 'level', 'chunks'].includes(key)) bad(`unexpected field '${key}'`)
  if (o.type !== MANIFEST_TYPE) bad(`type must be '${MANIFEST_TYPE}'`)
  const size = safeUint(o.size)
  if (size === undefined) return bad('size must be a non-negative integer')
  const level = Object.hasOwn(o, 'level') ? safeUint(o.level) : 0
  if (level === undefined || level > 8 || (Object.hasOwn(o, 'level') && level === 0)) return bad('level must be an integer from 1 to 8 when present')
  if (!Array.isArray(o.chunks)) return bad('chunks must be an array')
  if (o.chunks.length > MAX_MANIFEST_ENTRIES) bad(`lists ${o.chunks.length} chunks, more than ${MAX_MANIFEST_ENTRIES}`)
  const chunks = o.chunks.map((c: unknown, i: number) => {
    if (!(c instanceof Uint8Array)) return bad(`chunks[${i}] must be CID bytes`)
    try {
      return cidFromBytes(c)
    } catch (err) {
      return bad(`chunks[${i}] is not a block CID`, err)
    }
  })
  if (level === 0 && size > chunks.length * MAX_BLOCK_BYTES) bad(`size ${size} is more than its ${chunks.length} chunks can hold`)
  if (size > 0 && chunks.length === 0) bad(`size ${size} with no chunks`)
  return { size, level, chunks }
}

function safeUint (v: unknown): number | undefined {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : undefined
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
}

/** A CBOR head: major type and argument, in the shortest form. */
function head (major: number, n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`CBOR argument must be a non-negative safe integer, got ${n}`)
  const m = major << 5
  if (n < 24) return Uint8Array.of(m | n)
  if (n < 0x100) return Uint8Array.of(m | 24, n)
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff)
  const out = new Uint8Array(n < 0x1_0000_0000 ? 5 : 9)
  const view = new DataView(out.buffer)
  if (out.byteLength === 5) {
    out[0] = m | 26
    view.setUint32(1, n)
  } else {
    out[0] = m | 27
    view.setBigUint64(1, BigInt(n))
  }
  return out
}

function text (s: string): Uint8Array {
  const utf8 = encoder.encode(s)
  const h = head(3, utf8.byteLength)
  const out = new Uint8Array(h.byteLength + utf8.byteLength)
  out.set(h, 0)
  out.set(utf8, h.byteLength)
  return out
}

/** After 0xa3/0xa4 (a map of 3 or 4 pairs), the text 'size': how every encoded Manifest starts. */
const MANIFEST_PREFIX = [0x64, 0x73, 0x69, 0x7a, 0x65] as const

/**
 * The manifest of a large value (`putLarge`), when `bytes` is one; undefined for any other
 * block. A cheap look comes first: most blocks are not manifests, and decoding a 1 MiB
 * chunk is not free.
 */
export function largeValueManifest (cid: BlockCid, bytes: Uint8Array): Manifest | undefined {
  if (!mayBeManifest(bytes)) return undefined
  try {
    return decodeManifest(cid, bytes)
  } catch {
    return undefined
  }
}

/** Whether `bytes` start as a large value's manifest does (most blocks do not). */
function mayBeManifest (bytes: Uint8Array): boolean {
  if (bytes[0] !== 0xa3 && bytes[0] !== 0xa4) return false
  for (let i = 0; i < MANIFEST_PREFIX.length; i++) if (bytes[i + 1] !== MANIFEST_PREFIX[i]) return false
  return true
}

/** True when `bytes` (the block `cid`) is the root of a large value stored with `putLarge`. */
export function isLargeValueManifest (cid: string, bytes: Uint8Array): boolean {
  // the cheap look before parsing the CID: a scan asks this of every segment it reads
  return mayBeManifest(bytes) && largeValueManifest(parseCid(cid), bytes) !== undefined
}
