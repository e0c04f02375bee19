/**
 * The state of a WindowOperator and its form in snapshots (keyed-chunk.ts): an aligned
 * window is the namespace `w:<start>:<end>` with `[acc]` (or `[acc, 1]` once fired) per key,
 * a key's session windows are `[start, end, acc, fired, …]` in the namespace `s`, and a
 * key's count window is `[count, acc]` in the namespace `c`.
 */
import type { Key } from '../../api/functions.ts'

/** An aligned (tumbling or sliding) window: the accumulators of every key. */
export interface Bucket {
  readonly start: number
  readonly end: number
  readonly state: Map<Key, unknown>
  fired: boolean
  /**
   * Keys that fired while the window as a whole has not: only after a restore that merged
   * subtasks whose watermarks differed (one had fired the window, the other not yet).
   */
  firedKeys: Set<Key> | undefined
  /** Its namespace in snapshots, and the keys changed since the last one. */
  readonly ns: string
  readonly changes: Set<Key> | undefined
}

export interface Session {
  start: number
  end: number
  acc: unknown
  fired: boolean
}

export interface CountState {
  count: number
  acc: unknown
}

/** Namespaces in snapshots. */
export const BUCKET_PREFIX = 'w:'
export const SESSIONS = 's'
export const COUNTS = 'c'

/** A new, empty aligned window. */
export function newBucket (start: number, end: number, changes: (ns: string) => Set<Key> | undefined): Bucket {
  const ns = `${BUCKET_PREFIX}${start}:${end}`
  return { start, end, state: new Map(), fired: false, firedKeys: undefined, ns, changes: changes(ns) }
}

/** The start of the aligned window of namespace `ns` (`w:<start>:<end>`). */
export function bucketStart (ns: string): number {
  return Number(ns.slice(BUCKET_PREFIX.length, ns.indexOf(':', BUCKET_PREFIX.length)))
}

/** An aligned window's entry: `[acc]`, or `[acc, 1]` once it fired for the key. */
export function bucketEntry (b: Bucket, key: Key, acc: unknown): unknown[] {
  return b.fired || b.firedKeys?.has(key) === true ? [acc, 1] : [acc]
}

/** A key's sessions: `[start, end, acc, fired (0 or 1), …]`. */
export function sessionsEntry (sessions: readonly Session[]): unknown[] {
  const out: unknown[] = []
  for (const s of sessions) out.push(s.start, s.end, s.acc, s.fired ? 1 : 0)
  return out
}

export function countEntry (c: CountState): unknown[] {
  return [c.count, c.acc]
}

/** Rebuilds an aligned window from its restored entries; `bad()` throws. */
export function restoreBucket (ns: string, entries: ReadonlyMap<Key, unknown>, changes: (ns: string) => Set<Key> | undefined, bad: () => never): Bucket {
  const [start, end] = ns.slice(BUCKET_PREFIX.length).split(':').map(Number) as [number, number]
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) bad()
  const bucket = newBucket(start, end, changes)
  const fired = new Set<Key>()
  for (const [key, entry] of entries) {
    if (!Array.isArray(entry) || entry.length < 1 || entry.length > 2) bad()
    bucket.state.set(key, (entry as unknown[])[0])
    if ((entry as unknown[]).length === 2) fired.add(key)
  }
  if (fired.size === bucket.state.size) bucket.fired = true
  else if (fired.size > 0) bucket.firedKeys = fired
  return bucket
}

/** Rebuilds a key's sessions from their entry; `bad()` throws. */
export function restoreSessions (entry: unknown, bad: () => never): Session[] {
  if (!Array.isArray(entry) || entry.length === 0 || entry.length % 4 !== 0) bad()
  const flat = entry as unknown[]
  const sessions: Session[] = []
  for (let i = 0; i < flat.length; i += 4) {
    const start = flat[i]
    const end = flat[i + 1]
    if (typeof start !== 'number' || typeof end !== 'number') bad()
    sessions.push({ start: start as number, end: end as number, acc: flat[i + 2], fired: flat[i + 3] === 1 })
  }
  return sessions
}

/** Rebuilds a key's count window from its entry; `bad()` throws. */
export function restoreCount (entry: unknown, bad: () => never): CountState {
  if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'number') bad()
  return { count: (entry as [number, unknown])[0], acc: (entry as [number, unknown])[1] }
}
