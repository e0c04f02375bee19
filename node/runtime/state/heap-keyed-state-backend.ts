/**
 * Keyed state kept on the JS heap, one StateTable per declared state. The operator sets
 * `currentKey` before it calls user code; every state object reads and writes the entry
 * of that key.
 */
import type { Key } from '../../api/functions.ts'
import type {
  AggregatingState, AggregatingStateDescriptor, ListState, ListStateDescriptor, MapState,
  MapStateDescriptor, ReducingState, ReducingStateDescriptor, StateDescriptor, ValueState,
  ValueStateDescriptor
} from '../../api/state.ts'
import { StateTable, type TtlCell } from './state-table.ts'

export class HeapKeyedStateBackend {
  currentKey: Key = ''
  readonly #tables = new Map<string, StateTable>()
  readonly #now: () => number
  #writes = 0

  constructor (now: () => number) {
    this.#now = now
  }

  get tables (): ReadonlyMap<string, StateTable> { return this.#tables }

  #table (descriptor: StateDescriptor): StateTable {
    let table = this.#tables.get(descriptor.name)
    if (table === undefined) {
      table = new StateTable(descriptor.name, descriptor.kind, descriptor.ttl, this.#now)
      this.#tables.set(descriptor.name, table)
    } else if (table.kind !== descriptor.kind) {
      throw new TypeError(`State '${descriptor.name}' was declared as ${table.kind} state and again as ${descriptor.kind} state`)
    }
    return table
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
        if (m === undefined) return
        m.delete(k)
        if (m.size === 0) table.delete(backend.currentKey)
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
      backend.#touch()
    }
    return {
      get: () => {
        const cells = live()
        if (cells === undefined) return []
        if (table.refreshOnRead) {
          const now = table.now()
          for (const c of cells) c.t = now
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
        if (table.expired(c.t, now)) m.delete(k)
        else if (read && table.refreshOnRead) c.t = now
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
        return undefined
      }
      if (table.refreshOnRead) c.t = now
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
        backend.#touch()
      },
      contains: (k: K) => cell(k) !== undefined,
      remove: (k: K) => {
        const m = table.data.get(backend.currentKey) as Map<K, TtlCell<V>> | undefined
        if (m === undefined) return
        m.delete(k)
        if (m.size === 0) table.delete(backend.currentKey)
      },
      entries: () => project(live(true), (k, c) => [k, c.v] as [K, V]),
      keys: () => project(live(true), k => k),
      values: () => project(live(true), (_k, c) => c.v),
      isEmpty: () => live(false) === undefined,
      clear: () => { table.delete(backend.currentKey) }
    }
  }
}
