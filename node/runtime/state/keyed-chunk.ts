/**
 * The format of one keyed-state chunk (checkpoint.ts, `StateChunk.bytes`): a cbor-encoded
 * record written by {@link IncrementalKeyedSnapshot} and read by {@link readKeyedState}.
 *
 * State is a set of entries `(namespace, key) -> value`; a namespace is what the operator
 * calls it (`s:<state name>`, `w:<start>:<end>` for a window, `t:e` for event-time timers).
 * Every entry carries its key group, so a subtask restoring at another parallelism keeps
 * the entries of its own key groups and skips the rest.
 *
 * ```
 * { v: 1, kind: 'base' | 'delta', ck, mp, kg: [start, end], wm, meta: [name, value, …],
 *   drop: [namespace, …], del: [namespace, [kg, key, …], …],
 *   put: [namespace, [kg, key, value, …], …], part: [namespace, kg, key, i, n, bytes] | null }
 * ```
 * - `ck` the checkpoint that wrote it, `mp` the max parallelism (key groups are only
 *   meaningful for one), `kg` the key groups of the writer (inclusive), `wm` the writer's
 *   watermark at the snapshot, `meta` operator-defined pairs (e.g. each state's kind and TTL);
 * - `drop` removes whole namespaces in the writer's key groups, then `del` removes entries
 *   (tombstones), then `put` sets entries — in that order, so a chunk may drop a namespace
 *   and fill it again;
 * - `part` carries one slice of an entry too large for one chunk (its value's cbor bytes
 *   cut in `n` slices, in consecutive chunks).
 * A chain is a base (one or more `base` chunks, together every entry of the writer) and the
 * `delta` chunks written after it; applying a chain in order rebuilds the writer's state.
 */
import type { Key } from '../../api/functions.ts'
import { decodeCbor, encodeCbor } from '../../../protocol/cbor.ts'
import { cidOf } from '../../../protocol/cid.ts'
import { StateRestoreError } from '../errors.ts'

/** Version of the chunk format. */
export const KEYED_CHUNK_VERSION = 1
/** A chunk is cut once it holds about this many bytes. */
export const TARGET_CHUNK_BYTES = 512 * 1024
/** No chunk is larger than this (blocks hold at most 1 MiB; leave room for framing). */
export const MAX_CHUNK_BYTES = 1024 * 1024 - 4096
/** Name used in decoding errors. */
const FORMAT = '/meshflow/keyed-state/1'

export type ChunkKind = 'base' | 'delta'

/** One decoded chunk. Arrays are flat: see the module comment. */
export interface KeyedChunk {
  readonly v: number
  readonly kind: ChunkKind
  readonly ck: number
  readonly mp: number
  readonly kg: readonly [number, number]
  readonly wm: number
  readonly meta: readonly unknown[]
  readonly drop: readonly string[]
  readonly del: readonly unknown[]
  readonly put: readonly unknown[]
  readonly part: readonly [string, number, Key, number, number, Uint8Array] | null
}

/** Encodes a chunk (cbor-x records: the entry shapes of user values are written once). */
export function encodeKeyedChunk (chunk: KeyedChunk): Uint8Array {
  return encodeCbor(chunk)
}

/** True when `x` can be a key (what `normalizeKey` returns). */
export function isKey (x: unknown): x is Key {
  const t = typeof x
  return t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean'
}

/**
 * Decodes and checks one chunk. `index` is its position in the restored list (for errors).
 *
 * @throws {StateRestoreError} naming the chunk's CID when the bytes are not a valid chunk
 */
export function decodeKeyedChunk (bytes: Uint8Array, index: number): KeyedChunk {
  let c: unknown
  try {
    c = decodeCbor(FORMAT, bytes)
  } catch (err) {
    throw corrupt(bytes, index, 'is not CBOR', err)
  }
  if (typeof c !== 'object' || c === null) throw corrupt(bytes, index, 'is not a record')
  const o = c as Record<string, unknown>
  if (o.v !== KEYED_CHUNK_VERSION) throw corrupt(bytes, index, `has version ${String(o.v)}, this runtime reads version ${KEYED_CHUNK_VERSION}`)
  if (o.kind !== 'base' && o.kind !== 'delta') throw corrupt(bytes, index, 'has no valid kind')
  if (typeof o.ck !== 'number') throw corrupt(bytes, index, 'has no checkpoint id')
  if (!Number.isSafeInteger(o.mp) || (o.mp as number) < 1) throw corrupt(bytes, index, 'has no valid max parallelism')
  const kg = o.kg
  if (!Array.isArray(kg) || kg.length !== 2 || !Number.isSafeInteger(kg[0]) || !Number.isSafeInteger(kg[1]) || kg[0] > kg[1]) {
    throw corrupt(bytes, index, 'has no valid key-group range')
  }
  if (typeof o.wm !== 'number') throw corrupt(bytes, index, 'has no watermark')
  if (!Array.isArray(o.meta) || o.meta.length % 2 !== 0) throw corrupt(bytes, index, 'has malformed meta')
  if (!Array.isArray(o.drop) || !o.drop.every(n => typeof n === 'string')) throw corrupt(bytes, index, 'has malformed drops')
  checkGroups(bytes, index, o.del, 2, 'del')
  checkGroups(bytes, index, o.put, 3, 'put')
  const p = o.part
  if (p !== null && p !== undefined) {
    if (!Array.isArray(p) || p.length !== 6 || typeof p[0] !== 'string' || !Number.isSafeInteger(p[1]) || !isKey(p[2]) ||
        !Number.isSafeInteger(p[3]) || !Number.isSafeInteger(p[4]) || p[3] < 0 || p[3] >= p[4] || !(p[5] instanceof Uint8Array)) {
      throw corrupt(bytes, index, 'has a malformed part')
    }
  }
  return { ...(o as unknown as KeyedChunk), part: (p ?? null) as KeyedChunk['part'] }
}

/** Checks `[namespace, [kg, key, (value,) …], …]` groups. */
function checkGroups (bytes: Uint8Array, index: number, groups: unknown, stride: number, what: string): void {
  if (!Array.isArray(groups) || groups.length % 2 !== 0) throw corrupt(bytes, index, `has malformed ${what} entries`)
  for (let i = 0; i < groups.length; i += 2) {
    const flat = groups[i + 1] as unknown
    if (typeof groups[i] !== 'string' || !Array.isArray(flat) || flat.length % stride !== 0) throw corrupt(bytes, index, `has malformed ${what} entries`)
    for (let j = 0; j < flat.length; j += stride) {
      if (!Number.isSafeInteger(flat[j]) || !isKey(flat[j + 1])) throw corrupt(bytes, index, `has a malformed ${what} entry in namespace '${String(groups[i])}'`)
    }
  }
}

function corrupt (bytes: Uint8Array, index: number, what: string, cause?: unknown): StateRestoreError {
  let cid: string
  try {
    cid = cidOf(bytes).toString()
  } catch {
    cid = '?'
  }
  return new StateRestoreError(`Keyed state chunk ${index} (block ${cid}) ${what}`, cause === undefined ? undefined : { cause })
}
