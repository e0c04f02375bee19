/**
 * Key groups: keys hash into one of `maxParallelism` groups, and group `g` belongs to
 * subtask `floor(g * parallelism / maxParallelism)` (Flink's KeyGroupRangeAssignment).
 * State is kept per key group, which is what lets a savepoint restore at another parallelism.
 *
 * The hash is murmur3 (32-bit, seed 0) of the key's canonical form: an integer key hashes
 * its 32-bit value (or the two halves of its float64 bits), a string its UTF-16 code
 * units, anything else its JSON. It is stable across processes, machines and versions.
 *
 * @example
 * keyGroupOf('store-7', 128)               // 0..127
 * subtaskForKeyGroup(keyGroupOf('store-7', 128), 4, 128)
 */
import type { Key } from '../api/functions.ts'

export const DEFAULT_MAX_PARALLELISM = 128
export const UPPER_BOUND_MAX_PARALLELISM = 1 << 15

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK (k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

function mixH (h: number, k: number): number {
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** murmur3's 32-bit finalizer of `h` after `length` bytes (also mixes other hashes, e.g. datagen's). */
export function fmix (h: number, length: number): number {
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** murmur3_32 over the UTF-16 code units of `s`, two units per 32-bit block. */
export function murmurString (s: string): number {
  let h = 0
  const n = s.length
  let i = 0
  for (; i + 1 < n; i += 2) {
    h = mixH(h, mixK(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)))
  }
  if (i < n) h ^= mixK(s.charCodeAt(i))
  return fmix(h, n * 2)
}

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

/** murmur3_32 of a number: int32 values as one block, others as their float64 bits. */
export function murmurNumber (x: number): number {
  if ((x | 0) === x) return fmix(mixH(0, mixK(x)), 4)
  f64[0] = x
  return fmix(mixH(mixH(0, mixK(u32[0]!)), mixK(u32[1]!)), 8)
}

/** Stable 32-bit hash of a key. */
export function hashKey (key: unknown): number {
  switch (typeof key) {
    case 'string': return murmurString(key)
    case 'number': return murmurNumber(key)
    case 'boolean': return murmurNumber(key ? 1 : 0)
    case 'bigint': return murmurString(key.toString())
    default: return murmurString(JSON.stringify(key) ?? 'undefined')
  }
}

/**
 * Turns what a key selector returned into a key usable in a Map: primitives stay as they
 * are, anything else (arrays for composite keys, objects) becomes its JSON text.
 */
export function normalizeKey (raw: unknown): Key {
  const t = typeof raw
  if (t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean') return raw as Key
  if (raw === undefined || raw === null) throw new TypeError(`A key selector returned ${String(raw)}: keys must be defined`)
  return JSON.stringify(raw)
}

export function keyGroupOf (key: unknown, maxParallelism: number): number {
  return hashKey(key) % maxParallelism
}

export function subtaskForKeyGroup (keyGroup: number, parallelism: number, maxParallelism: number): number {
  return Math.floor(keyGroup * parallelism / maxParallelism)
}

/** The key groups `[start, end]` (inclusive) owned by `subtask`. */
export function keyGroupRange (subtask: number, parallelism: number, maxParallelism: number): { start: number, end: number } {
  return {
    start: Math.ceil(subtask * maxParallelism / parallelism),
    end: Math.ceil((subtask + 1) * maxParallelism / parallelism) - 1
  }
}
