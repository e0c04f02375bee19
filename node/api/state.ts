/**
 * Keyed state: descriptors name a piece of state, the runtime context turns a descriptor
 * into the state object scoped to the current key.
 *
 * @example
 * open (ctx) { this.count = ctx.getState(new ValueStateDescriptor<number>('count')) }
 * processElement (v, ctx, out) { const n = (this.count.value() ?? 0) + 1; this.count.update(n) }
 */
import type { ReduceFunction, AggregateFunction } from './functions.ts'

/** Time-to-live of state entries, measured in processing time like Flink's StateTtlConfig. */
export interface StateTtlConfig {
  readonly ttlMs: number
  /** When the entry's clock restarts: on create and write (default), or also on read. */
  readonly updateType?: 'OnCreateAndWrite' | 'OnReadAndWrite'
}

abstract class StateDescriptorBase {
  readonly name: string
  ttl: StateTtlConfig | undefined

  constructor (name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('A state descriptor needs a non-empty name')
    this.name = name
    this.ttl = undefined
  }

  /** Expire entries not written (or read, per `updateType`) for `ttl.ttlMs` milliseconds. */
  enableTimeToLive (ttl: StateTtlConfig): this {
    if (!(ttl.ttlMs > 0)) throw new RangeError(`State '${this.name}': ttlMs must be positive`)
    this.ttl = ttl
    return this
  }
}

export class ValueStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'value'
  readonly defaultValue: T | undefined
  constructor (name: string, defaultValue?: T) {
    super(name)
    this.defaultValue = defaultValue
  }
}

export class ListStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'list'
  declare readonly __type?: T
}

export class MapStateDescriptor<K, V> extends StateDescriptorBase {
  readonly kind = 'map'
  declare readonly __type?: [K, V]
}

export class ReducingStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'reducing'
  readonly reduce: ReduceFunction<T>
  constructor (name: string, reduce: ReduceFunction<T>) {
    super(name)
    this.reduce = reduce
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase {
  readonly kind = 'aggregating'
  readonly aggregate: AggregateFunction<IN, ACC, OUT>
  constructor (name: string, aggregate: AggregateFunction<IN, ACC, OUT>) {
    super(name)
    this.aggregate = aggregate
  }
}

export type StateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>

/** State that can be cleared for the current key. */
export interface State {
  clear(): void
}

export interface ValueState<T> extends State {
  /** The value for the current key, or the descriptor's default when there is none. */
  value(): T | undefined
  update(value: T): void
}

export interface ListState<T> extends State {
  get(): T[]
  add(value: T): void
  addAll(values: T[]): void
  update(values: T[]): void
}

export interface MapState<K, V> extends State {
  get(key: K): V | undefined
  put(key: K, value: V): void
  contains(key: K): boolean
  remove(key: K): void
  entries(): IterableIterator<[K, V]>
  keys(): IterableIterator<K>
  values(): IterableIterator<V>
  isEmpty(): boolean
}

export interface ReducingState<T> extends State {
  get(): T | undefined
  add(value: T): void
}

export interface AggregatingState<IN, OUT> extends State {
  get(): OUT | undefined
  add(value: IN): void
}
