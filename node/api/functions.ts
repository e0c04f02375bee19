/**
 * The function types a job author passes to DataStream operators, and the contexts the
 * runtime hands them. Names follow Apache Flink's DataStream API.
 */
import type { OutputTag } from './output-tag.ts'
import type {
  AggregatingState, AggregatingStateDescriptor, ListState, ListStateDescriptor, MapState,
  MapStateDescriptor, ReducingState, ReducingStateDescriptor, ValueState, ValueStateDescriptor
} from './state.ts'

/** A key as returned by a key selector: primitives are kept, objects become their JSON. */
export type Key = string | number | bigint | boolean

export type KeySelector<T> = (value: T) => unknown
export type MapFunction<T, R> = (value: T) => R
export type FilterFunction<T> = (value: T) => boolean
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => void
export type ReduceFunction<T> = (a: T, b: T) => T

/** Receives zero or more output records from a function. */
export interface Collector<T> {
  collect(value: T): void
}

/** Incremental aggregation: `merge` is needed for merging (session) windows. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC
  add(value: IN, accumulator: ACC): ACC
  getResult(accumulator: ACC): OUT
  merge?(a: ACC, b: ACC): ACC
}

/** A time window `[start, end)` in milliseconds; `maxTimestamp` is `end - 1`. */
export interface TimeWindow {
  readonly start: number
  readonly end: number
}

/** Turns the pre-aggregated result of a window into the output record. */
export type WindowFunction<IN, OUT> = (key: Key, window: TimeWindow, result: IN) => OUT

/** Sees every element of a window and may emit any number of records. */
export type ProcessWindowFunction<IN, OUT> =
  (key: Key, window: TimeWindow, elements: IN[], out: Collector<OUT>) => void

/** Read access to time and registration of timers, from inside a function. */
export interface TimerService {
  currentProcessingTime(): number
  currentWatermark(): number
  registerEventTimeTimer(time: number): void
  registerProcessingTimeTimer(time: number): void
  deleteEventTimeTimer(time: number): void
  deleteProcessingTimeTimer(time: number): void
}

/** What every rich function sees on `open`: identity of the subtask and keyed state. */
export interface RuntimeContext {
  readonly taskName: string
  readonly subtaskIndex: number
  readonly parallelism: number
  readonly maxParallelism: number
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>
}

/** Context of one element passed to a process function. */
export interface ProcessContext {
  /** Event timestamp of the element, or `undefined` when it has none. */
  readonly timestamp: number | undefined
  readonly timerService: TimerService
  /** Emits a record to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void
}

/** Context of a keyed process function: adds the current key. */
export interface KeyedProcessContext extends ProcessContext {
  readonly currentKey: Key
}

/** Context of a timer callback. */
export interface OnTimerContext extends KeyedProcessContext {
  readonly timeDomain: 'event-time' | 'processing-time'
}

/** Flink's ProcessFunction: element-wise processing with side outputs. */
export interface ProcessFunction<IN, OUT> {
  open?(context: RuntimeContext): void | Promise<void>
  processElement(value: IN, context: ProcessContext, out: Collector<OUT>): void
  /** Called once when the input is exhausted (bounded streams). */
  endInput?(out: Collector<OUT>): void
  close?(): void | Promise<void>
}

/** Flink's KeyedProcessFunction: keyed state and event/processing-time timers. */
export interface KeyedProcessFunction<IN, OUT> {
  open?(context: RuntimeContext): void | Promise<void>
  processElement(value: IN, context: KeyedProcessContext, out: Collector<OUT>): void
  onTimer?(timestamp: number, context: OnTimerContext, out: Collector<OUT>): void
  close?(): void | Promise<void>
}

/** Processes two connected streams; `processElement1` sees the first, `processElement2` the second. */
export interface CoProcessFunction<IN1, IN2, OUT> {
  open?(context: RuntimeContext): void | Promise<void>
  processElement1(value: IN1, context: ProcessContext, out: Collector<OUT>): void
  processElement2(value: IN2, context: ProcessContext, out: Collector<OUT>): void
  close?(): void | Promise<void>
}

/** Keyed variant of {@link CoProcessFunction}, with keyed state and timers. */
export interface KeyedCoProcessFunction<IN1, IN2, OUT> {
  open?(context: RuntimeContext): void | Promise<void>
  processElement1(value: IN1, context: KeyedProcessContext, out: Collector<OUT>): void
  processElement2(value: IN2, context: KeyedProcessContext, out: Collector<OUT>): void
  onTimer?(timestamp: number, context: OnTimerContext, out: Collector<OUT>): void
  close?(): void | Promise<void>
}
