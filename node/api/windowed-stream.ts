/**
 * A keyed stream cut into windows. Finish it with `aggregate`, `reduce` or `process`.
 *
 * @example
 * sales.keyBy(s => s.store)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .allowedLateness(5_000)
 *   .sideOutputLateData(lateTag)
 *   .aggregate(sumAmounts, (store, w, total) => ({ store, start: w.start, total }))
 */
import type {
  AggregateFunction, Collector, Key, ProcessWindowFunction, ReduceFunction, TimeWindow, WindowFunction
} from './functions.ts'
import type { KeyedStream, DataStream } from './data-stream.ts'
import type { OutputTag } from './output-tag.ts'
import type { CountTrigger, WindowAssigner } from './windows.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { WindowOperator, type WindowOperatorSpec } from '../runtime/operators/window-operator.ts'
import { reduceAsAggregate } from '../runtime/operators/keyed-aggregate-operator.ts'

export class WindowedStream<T, K = unknown> {
  readonly #input: KeyedStream<T, K>
  readonly #assigner: WindowAssigner
  #trigger: CountTrigger | undefined
  #allowedLateness = 0
  #lateTag: string | undefined

  constructor (input: KeyedStream<T, K>, assigner: WindowAssigner) {
    this.#input = input
    this.#assigner = assigner
  }

  /** Fires the window by element count (for global windows). */
  trigger (trigger: CountTrigger): this {
    if (trigger?.kind !== 'count') throw new InvalidArgumentError('trigger needs a CountTrigger, e.g. CountTrigger.of(100)')
    this.#trigger = trigger
    return this
  }

  /** Keeps fired event-time windows for `ms` more, re-firing them for late elements. */
  allowedLateness (ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`allowedLateness needs a non-negative number of milliseconds, got ${ms}`)
    if (this.#assigner.timeDomain !== 'event-time' && ms > 0) throw new JobDefinitionError('allowedLateness applies to event-time windows only')
    this.#allowedLateness = ms
    return this
  }

  /** Sends elements too late for their windows to a side output instead of dropping them. */
  sideOutputLateData (tag: OutputTag<T>): this {
    this.#lateTag = tag.id
    return this
  }

  #build<R> (name: string, aggregate: AggregateFunction<any, any, any>, emit: WindowOperatorSpec['emit']): DataStream<R> {
    const assigner = this.#assigner
    if (assigner.kind === 'global' && this.#trigger === undefined) {
      throw new JobDefinitionError('A global window never fires without a trigger: add .trigger(CountTrigger.of(n)) or use countWindow(n)')
    }
    if (assigner.kind !== 'global' && this.#trigger !== undefined) {
      throw new JobDefinitionError('Count triggers apply to global windows only (GlobalWindows.create() or countWindow(n))')
    }
    if (assigner.kind === 'session' && typeof aggregate.merge !== 'function') {
      throw new JobDefinitionError('Session windows merge, so the AggregateFunction needs a merge(a, b) method')
    }
    const spec: WindowOperatorSpec = {
      assigner,
      trigger: this.#trigger,
      aggregate,
      emit,
      allowedLateness: this.#allowedLateness,
      lateDataTag: this.#lateTag
    }
    return this.#input.addKeyedOperator<R>(name, () => new WindowOperator(spec))
  }

  /** Incremental aggregation; the optional window function shapes each result. */
  aggregate<ACC, V, R = V> (fn: AggregateFunction<T, ACC, V>, windowFunction?: WindowFunction<V, R>): DataStream<R> {
    if (typeof fn?.add !== 'function' || typeof fn.createAccumulator !== 'function' || typeof fn.getResult !== 'function') {
      throw new InvalidArgumentError('aggregate needs an AggregateFunction { createAccumulator, add, getResult, merge? }')
    }
    return this.#build<R>('window-aggregate', fn, emitVia(windowFunction))
  }

  /** Incremental reduce; the optional window function shapes each result. */
  reduce<R = T> (fn: ReduceFunction<T>, windowFunction?: WindowFunction<T, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('reduce needs a function (a, b) => c')
    return this.#build<R>('window-reduce', reduceAsAggregate(fn), emitVia(windowFunction))
  }

  /** Sees all elements of each window when it fires. */
  process<R> (fn: ProcessWindowFunction<T, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('process needs a function (key, window, elements, out) => void')
    const list: AggregateFunction<T, T[], T[]> = {
      createAccumulator: () => [],
      add: (v, acc) => { acc.push(v); return acc },
      getResult: acc => acc,
      merge: (a, b) => a.concat(b)
    }
    return this.#build<R>('window-process', list, (key, window, elements, out) => { fn(key, window, elements, out as Collector<R>) })
  }
}

function emitVia<V, R> (windowFunction: WindowFunction<V, R> | undefined): (key: Key, window: TimeWindow, result: V, out: Collector<unknown>) => void {
  if (windowFunction === undefined) return (_k, _w, result, out) => { out.collect(result) }
  if (typeof windowFunction !== 'function') throw new InvalidArgumentError('The window function must be a function (key, window, result) => output')
  return (key, window, result, out) => { out.collect(windowFunction(key, { start: window.start, end: window.end }, result)) }
}
