/**
 * The values of one keyed state across all keys of a subtask, with optional TTL:
 * an entry older than its time-to-live reads as absent and is dropped when read.
 */
import type { Key } from '../../api/functions.ts'
import type { StateTtlConfig } from '../../api/state.ts'

export class StateTable {
  readonly name: string
  readonly kind: string
  readonly data = new Map<Key, unknown>()
  readonly #ttlMs: number
  readonly #refreshOnRead: boolean
  readonly #stamps: Map<Key, number> | undefined
  readonly #now: () => number

  constructor (name: string, kind: string, ttl: StateTtlConfig | undefined, now: () => number) {
    this.name = name
    this.kind = kind
    this.#now = now
    this.#ttlMs = ttl?.ttlMs ?? 0
    this.#refreshOnRead = ttl?.updateType === 'OnReadAndWrite'
    this.#stamps = ttl === undefined ? undefined : new Map()
  }

  get (key: Key): unknown {
    const value = this.data.get(key)
    const stamps = this.#stamps
    if (stamps === undefined || value === undefined) return value
    const now = this.#now()
    if (stamps.get(key)! + this.#ttlMs <= now) {
      this.data.delete(key)
      stamps.delete(key)
      return undefined
    }
    if (this.#refreshOnRead) stamps.set(key, now)
    return value
  }

  set (key: Key, value: unknown): void {
    this.data.set(key, value)
    if (this.#stamps !== undefined) this.#stamps.set(key, this.#now())
  }

  delete (key: Key): void {
    this.data.delete(key)
    this.#stamps?.delete(key)
  }

  /** Drops every expired entry (run now and then so unread keys do not pile up). */
  purgeExpired (): void {
    const stamps = this.#stamps
    if (stamps === undefined) return
    const limit = this.#now() - this.#ttlMs
    for (const [key, t] of stamps) {
      if (t <= limit) {
        stamps.delete(key)
        this.data.delete(key)
      }
    }
  }
}
