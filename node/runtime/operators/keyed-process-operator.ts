/**
 * Runs a KeyedProcessFunction (one input) or KeyedCoProcessFunction (two inputs): keyed
 * state scoped to the current key, and event-time and processing-time timers per key.
 * Event-time timers fire when the watermark reaches their time; processing-time timers
 * when the clock does.
 */
import type {
  Collector, Key, KeyedCoProcessFunction, KeyedProcessFunction, OnTimerContext, TimerService
} from '../../api/functions.ts'
import type { OutputTag } from '../../api/output-tag.ts'
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts'
import { NO_TIMESTAMP } from '../stream-element.ts'
import { StreamOperator } from '../stream-operator.ts'
import { TimerQueue } from '../timer-queue.ts'
import { createRuntimeContext } from './runtime-context.ts'

type AnyKeyedProcess = KeyedProcessFunction<any, any> | KeyedCoProcessFunction<any, any, any>

class KeyedContext implements OnTimerContext, Collector<unknown>, TimerService {
  readonly #op: KeyedProcessOperator
  ts = NO_TIMESTAMP
  currentKey: Key = ''
  timeDomain: 'event-time' | 'processing-time' = 'event-time'
  constructor (op: KeyedProcessOperator) { this.#op = op }
  get timestamp (): number | undefined { return this.ts === NO_TIMESTAMP ? undefined : this.ts }
  get timerService (): TimerService { return this }
  output<X> (tag: OutputTag<X>, value: X): void { this.#op.output.collectSide(tag.id, value, this.ts) }
  collect (value: unknown): void { this.#op.output.collect(value, this.ts) }
  currentProcessingTime (): number { return this.#op.context.processingTime.now() }
  currentWatermark (): number { return this.#op.currentWatermark }
  registerEventTimeTimer (time: number): void { this.#op.eventTimers.add(time, this.currentKey) }
  deleteEventTimeTimer (time: number): void { this.#op.eventTimers.delete(time, this.currentKey) }
  registerProcessingTimeTimer (time: number): void { this.#op.registerProcessingTimer(time, this.currentKey) }
  deleteProcessingTimeTimer (time: number): void { this.#op.processingTimers.delete(time, this.currentKey) }
}

export class KeyedProcessOperator extends StreamOperator {
  readonly #fn: AnyKeyedProcess
  readonly eventTimers = new TimerQueue()
  readonly processingTimers = new TimerQueue()
  #backend!: HeapKeyedStateBackend
  readonly #ctx = new KeyedContext(this)
  #scheduledAt = Number.POSITIVE_INFINITY
  #cancelScheduled: (() => void) | undefined
  #key0!: (value: any) => Key
  #key1: ((value: any) => Key) | undefined

  constructor (fn: AnyKeyedProcess) {
    super()
    this.#fn = fn
  }

  override async open (): Promise<void> {
    const selectors = this.context.keySelectors
    if (selectors === undefined || selectors[0] === undefined) throw new Error(`Operator '${this.context.operatorName}' needs a keyed input`)
    this.#key0 = selectors[0]
    this.#key1 = selectors[1]
    this.#backend = new HeapKeyedStateBackend(this.context.processingTime.now)
    try {
      await this.#fn.open?.(createRuntimeContext(this.context, this.#backend))
    } catch (err) {
      throw this.fail(err)
    }
  }

  #setKey (key: Key, timestamp: number): KeyedContext {
    const ctx = this.#ctx
    ctx.ts = timestamp
    ctx.currentKey = key
    this.#backend.currentKey = key
    return ctx
  }

  processElement (value: unknown, timestamp: number): void {
    try {
      const ctx = this.#setKey(this.#key0(value), timestamp)
      const fn = this.#fn
      if ('processElement' in fn) fn.processElement(value, ctx, ctx)
      else fn.processElement1(value, ctx, ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  override processElement2 (value: unknown, timestamp: number): void {
    try {
      const ctx = this.#setKey(this.#key1!(value), timestamp)
      ;(this.#fn as KeyedCoProcessFunction<any, any, any>).processElement2(value, ctx, ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  #fire = (time: number, key: Key): void => {
    const ctx = this.#setKey(key, this.#ctx.timeDomain === 'event-time' ? time : NO_TIMESTAMP)
    try {
      this.#fn.onTimer?.(time, ctx, ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.#ctx.timeDomain = 'event-time'
    this.eventTimers.popUntil(watermark, this.#fire)
    this.output.emitWatermark(watermark)
  }

  registerProcessingTimer (time: number, key: Key): void {
    this.processingTimers.add(time, key)
    if (time < this.#scheduledAt) this.#schedule(time)
  }

  #schedule (time: number): void {
    this.#cancelScheduled?.()
    this.#scheduledAt = time
    this.#cancelScheduled = this.context.processingTime.schedule(time, this.#onProcessingTime)
  }

  #onProcessingTime = (): void => {
    this.#scheduledAt = Number.POSITIVE_INFINITY
    this.#cancelScheduled = undefined
    this.#ctx.timeDomain = 'processing-time'
    this.processingTimers.popUntil(this.context.processingTime.now(), this.#fire)
    const next = this.processingTimers.peek()
    if (next !== undefined) this.#schedule(next)
  }

  override close (): void | Promise<void> {
    this.#cancelScheduled?.()
    return this.#fn.close?.()
  }
}
