/**
 * Keyed state kept on the JS heap, one StateTable per declared state. The operator sets
 * `currentKey` before it calls user code; every state object reads and writes the entry
 * of that key.
 *
 * For checkpoints each table is the namespace `s:<state name>` of the operator's keyed
 * state (incremental-keyed-snapshot.ts): tables record the keys they change in the sets
 * `init.changes` gives, {@link forEachEntry} / {@link entry} read entries for a snapshot,
 * and {@link restore} rebuilds the tables before the function declares its state again.
 * As in Flink, a value read from state and changed in place must be written back
 * (`update`, `put`, `add`) to be part of the next checkpoint.
 */
import type { Key } from '../../api/functions.ts'
import type {
  AggregatingState, AggregatingStateDescriptor, ListState, ListStateDescriptor, MapState,
  MapStateDescriptor, ReducingState, ReducingStateDescriptor, StateDescriptor, ValueState,
  ValueStateDescriptor
} from '../../api/state.ts'
import type { StateTtlConfig } from '../../api/state.ts'
import { StateRestoreError } from '../errors.ts'
import { StateTable, type TableForm, type TtlCell } from './state-table.ts'

const FORMS = new Set<unknown>(['plain', 'stamped', 'cells'] satisfies TableForm[])

/** The namespace prefix of keyed state tables in snapshots. */
export const STATE_NAMESPACE_PREFIX = 's:'

export interface HeapKeyedStateBackendInit {
  /** The set in which the table of a namespace records its changed keys (undefined: not tracked). */
  readonly changes?: (namespace: string) => Set<Key> | undefined
}

export class HeapKeyedStateBackend {
  currentKey: Key = ''
  readonly #tables = new Map<string, StateTable>()
  readonly #now: () => number
  readonly #changes: (namespace: string) => Set<Key> | undefined
  /** Tables restored and not declared since (their TTL may still change). */
  readonly #restored = new Set<string>()
  #writes = 0

  constructor (now: () => number, init: HeapKeyedStateBackendInit = {}) {
    this.#now = now
    this.#changes = init.changes ?? (() => undefined)
  }

  get tables (): ReadonlyMap<string, StateTable> { return this.#tables }

  #newTable (name: string, kind: string, ttl: StateTtlConfig | undefined): StateTable {
    const table = new StateTable(name, kind, ttl, this.#now, this.#changes(STATE_NAMESPACE_PREFIX + name))
    this.#tables.set(name, table)
    return table
  }

  #table (descriptor: StateDescriptor): StateTable {
    let table = this.#tables.get(descriptor.name)
    if (table === undefined) {
      table = this.#newTable(descriptor.name, descriptor.kind, descriptor.ttl)
    } else if (table.kind !== descriptor.kind) {
      throw new TypeError(`State '${descriptor.name}' was declared as ${table.kind} state and again as ${descriptor.kind} state`)
    } else if (this.#restored.delete(descriptor.name) && !sameTtl(table.ttl, descriptor.ttl)) {
      // restored with another TTL than the function now declares: convert every entry
      const old = table
      table = this.#newTable(descriptor.name, descriptor.kind, descriptor.ttl)
      const form = old.form
      old.forEachSnapshotEntry((key, entry) => {
        table!.loadEntry(key, entry, form)
        table!.changed(key)
      })
    }
    return table
  }

  /** Calls `visit` with every entry of every table, as a snapshot stores it. */
  forEachEntry (visit: (namespace: string, key: Key, entry: unknown) => void): void {
    for (const [name, table] of this.#tables) {
      const ns = STATE_NAMESPACE_PREFIX + name
      table.forEachSnapshotEntry((key, entry) => { visit(ns, key, entry) })
    }
  }

  /** One entry of namespace `s:<name>` as a snapshot stores it, or undefined. */
  entry (namespace: string, key: Key): unknown {
    return this.#tables.get(namespace.slice(STATE_NAMESPACE_PREFIX.length))?.snapshotEntry(key)
  }

  /** `[namespace, [kind, form, ttlMs, updateType]]` pairs describing the tables, for a snapshot's meta. */
  meta (): unknown[] {
    const out: unknown[] = []
    for (const [name, t] of this.#tables) out.push(STATE_NAMESPACE_PREFIX + name, [t.kind, t.form, t.ttl?.ttlMs ?? 0, t.ttl?.updateType ?? null])
    return out
  }

  /**
   * Rebuilds the tables of the restored namespaces `s:<name>` (others are left alone), with
   * the kind and TTL they had; a function declaring one with another TTL converts it. The
   * tables may take the maps of `namespaces` over.
   *
   * @throws {StateRestoreError} when a namespace has no description in `meta`
   */
  restore (namespaces: ReadonlyMap<string, Map<Key, unknown>>, meta: ReadonlyMap<string, unknown>): void {
    for (const [ns, entries] of namespaces) {
      if (!ns.startsWith(STATE_NAMESPACE_PREFIX)) continue
      const name = ns.slice(STATE_NAMESPACE_PREFIX.length)
      const m = meta.get(ns)
      if (!Array.isArray(m) || typeof m[0] !== 'string' || !FORMS.has(m[1]) || typeof m[2] !== 'number') {
        throw new StateRestoreError(`Restored state '${name}' has no valid description`)
      }
      const [kind, form, ttlMs, updateType] = m as [string, TableForm, number, 'OnCreateAndWrite' | 'OnReadAndWrite' | null]
      const ttl: StateTtlConfig | undefined = ttlMs > 0 ? (updateType === null ? { ttlMs } : { ttlMs, updateType }) : undefined
      const table = this.#newTable(name, kind, ttl)
      this.#restored.add(name)
      table.loadEntries(entries, form)
    }
  }

  /** Counts writes and purges expired TTL entries every so often. */
  #touch (): void {
    if (++this.#writes % 65536 === 0) for (const t of this.#tables.values()) t.purgeExpired()
  }

  getState<T> (descriptor: ValueStateDescriptor<T>): ValueState<T> {
    const table = this.#table(descriptor)
    const backend = this
    return {
      value: () => {
        const v = table.get(backend.currentKey) as T | undefined
        return v === undefined ? descriptor.defaultValue : v
      },
      update: (value: T) => {
        if (value === undefined) table.delete(backend.currentKey)
        else table.set(backend.currentKey, value)
        backend.#touch()
      },
      clear: () => { table.delete(backend.currentKey) }
    }
  }

  getListState<T> (descriptor: ListStateDescriptor<T>): ListState<T> {
    const table = this.#table(descriptor)
    if (table.perEntry) return this.#ttlListState<T>(table)
    const backend = this
    const list = (): T[] | undefined => table.get(backend.currentKey) as T[] | undefined
    return {
      get: () => list()?.slice() ?? [],
      add: (value: T) => {
        const l = list()
        if (l === undefined) table.set(backend.currentKey, [value])
        else { l.push(value); table.set(backend.currentKey, l) }
        backend.#touch()
      },
      addAll: (values: T[]) => {
        if (values.length === 0) return
        const l = list()
        table.set(backend.currentKey, l === undefined ? values.slice() : l.concat(values))
        backend.#touch()
      },
      update: (values: T[]) => {
        if (values.length === 0) table.delete(backend.currentKey)
        else table.set(backend.currentKey, values.slice())
        backend.#touch()
      },
      clear: () => { table.delete(backend.currentKey) }
    }
  }

  getMapState<K, V> (descriptor: MapStateDescriptor<K, V>): MapState<K, V> {
    const table = this.#table(descriptor)
    if (table.perEntry) return this.#ttlMapState<K, V>(table)
    const backend = this
    const read = (): Map<K, V> | undefined => table.get(backend.currentKey) as Map<K, V> | undefined
    const empty = new Map<K, V>()
    return {
      get: (k: K) => read()?.get(k),
      put: (k: K, v: V) => {
        const m = read()
        if (m === undefined) table.set(backend.currentKey, new Map([[k, v]]))
        else { m.set(k, v); table.set(backend.currentKey, m) }
        backend.#touch()
      },
      contains: (k: K) => read()?.has(k) ?? false,
      remove: (k: K) => {
        const m = read()
        if (m === undefined || !m.delete(k)) return
        if (m.size === 0) table.delete(backend.currentKey)
        else table.changed(backend.currentKey)
      },
      entries: () => (read() ?? empty).entries(),
      keys: () => (read() ?? empty).keys(),
      values: () => (read() ?? empty).values(),
      isEmpty: () => (read()?.size ?? 0) === 0,
      clear: () => { table.delete(backend.currentKey) }
    }
  }

  getReducingState<T> (descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    const table = this.#table(descriptor)
    const backend = this
    return {
      get: () => table.get(backend.currentKey) as T | undefined,
      add: (value: T) => {
        const cur = table.get(backend.currentKey) as T | undefined
        table.set(backend.currentKey, cur === undefined ? value : descriptor.reduce(cur, value))
        backend.#touch()
      },
      clear: () => { table.delete(backend.currentKey) }
    }
  }

  getAggregatingState<IN, ACC, OUT> (descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    const table = this.#table(descriptor)
    const backend = this
    const fn = descriptor.aggregate
    return {
      get: () => {
        const acc = table.get(backend.currentKey) as ACC | undefined
        return acc === undefined ? undefined : fn.getResult(acc)
      },
      add: (value: IN) => {
        const acc = table.get(backend.currentKey) as ACC | undefined
        table.set(backend.currentKey, fn.add(value, acc === undefined ? fn.createAccumulator() : acc))
        backend.#touch()
      },
      clear: () => { table.delete(backend.currentKey) }
    }
  }
  /** List state whose elements expire one by one (Flink: TTL per list element). */
  #ttlListState<T> (table: StateTable): ListState<T> {
    const backend = this
    /** The live cells of the current key (expired ones dropped), or undefined. */
    const live = (): TtlCell<T>[] | undefined => {
      const cells = table.data.get(backend.currentKey) as TtlCell<T>[] | undefined
      if (cells === undefined) return undefined
      const now = table.now()
      const kept = cells.filter(c => !table.expired(c.t, now))
      if (kept.length === 0) {
        table.delete(backend.currentKey)
        return undefined
      }
      if (kept.length === cells.length) return cells
      table.data.set(backend.currentKey, kept)
      table.changed(backend.currentKey)
      return kept
    }
    const write = (values: readonly T[], append: boolean): void => {
      const now = table.now()
      const fresh = values.map(v => ({ v, t: now }))
      const cells = append ? live() : undefined
      if (cells === undefined) {
        if (fresh.length === 0) table.delete(backend.currentKey)
        else table.data.set(backend.currentKey, fresh)
      } else {
        cells.push(...fresh)
      }
      table.changed(backend.currentKey)
      backend.#touch()
    }
    return {
      get: () => {
        const cells = live()
        if (cells === undefined) return []
        if (table.refreshOnRead) {
          const now = table.now()
          for (const c of cells) c.t = now
          table.changed(backend.currentKey)
        }
        return cells.map(c => c.v)
      },
      add: (value: T) => { write([value], true) },
      addAll: (values: T[]) => { if (values.length > 0) write(values, true) },
      update: (values: T[]) => { write(values, false) },
      clear: () => { table.delete(backend.currentKey) }
    }
  }

  /** Map state whose entries expire one by one (Flink: TTL per map entry). */
  #ttlMapState<K, V> (table: StateTable): MapState<K, V> {
    const backend = this
    /** The map of the current key with expired entries dropped (refreshed on read if so configured). */
    const live = (read: boolean): Map<K, TtlCell<V>> | undefined => {
      const m = table.data.get(backend.currentKey) as Map<K, TtlCell<V>> | undefined
      if (m === undefined) return undefined
      const now = table.now()
      for (const [k, c] of m) {
        if (table.expired(c.t, now)) {
          m.delete(k)
          table.changed(backend.currentKey)
        } else if (read && table.refreshOnRead && c.t !== now) {
          c.t = now
          table.changed(backend.currentKey)
        }
      }
      if (m.size === 0) {
        table.delete(backend.currentKey)
        return undefined
      }
      return m
    }
    /** One live cell, refreshed on read if so configured. */
    const cell = (k: K): TtlCell<V> | undefined => {
      const m = table.data.get(backend.currentKey) as Map<K, TtlCell<V>> | undefined
      const c = m?.get(k)
      if (c === undefined) return undefined
      const now = table.now()
      if (table.expired(c.t, now)) {
        m!.delete(k)
        if (m!.size === 0) table.delete(backend.currentKey)
        else table.changed(backend.currentKey)
        return undefined
      }
      if (table.refreshOnRead && c.t !== now) {
        c.t = now
        table.changed(backend.currentKey)
      }
      return c
    }
    function * project<X> (m: Map<K, TtlCell<V>> | undefined, f: (k: K, c: TtlCell<V>) => X): IterableIterator<X> {
      if (m === undefined) return
      for (const [k, c] of m) yield f(k, c)
    }
    return {
      get: (k: K) => cell(k)?.v,
      put: (k: K, v: V) => {
        let m = table.data.get(backend.currentKey) as Map<K, TtlCell<V>> | undefined
        if (m === undefined) table.data.set(backend.currentKey, m = new Map())
        m.set(k, { v, t: table.now() })
        table.changed(backend.currentKey)
        backend.#touch()
      },
      contains: (k: K) => cell(k) !== undefined,
      remove: (k: K) => {
        const m = table.data.get(backend.currentKey) as Map<K, TtlCell<V>> | undefined
        if (m === undefined || !m.delete(k)) return
        if (m.size === 0) table.delete(backend.currentKey)
        else table.changed(backend.currentKey)
      },
      entries: () => project(live(true), (k, c) => [k, c.v] as [K, V]),
      keys: () => project(live(true), k => k),
      values: () => project(live(true), (_k, c) => c.v),
      isEmpty: () => live(false) === undefined,
      clear: () => { table.delete(backend.currentKey) }
    }
  }
}

function sameTtl (a: StateTtlConfig | undefined, b: StateTtlConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.ttlMs === b.ttlMs && (a.updateType ?? 'OnCreateAndWrite') === (b.updateType ?? 'OnCreateAndWrite')
}
