/**
 * Runs a ProcessFunction or CoProcessFunction on a non-keyed stream: element-wise, with
 * side outputs and read access to time. Timers and keyed state need a keyed stream.
 */
import type { Collector, CoProcessFunction, ProcessContext, ProcessFunction, TimerService } from '../../api/functions.ts'
import type { OutputTag } from '../../api/output-tag.ts'
import { NO_TIMESTAMP } from '../stream-element.ts'
import { StreamOperator } from '../stream-operator.ts'
import { createRuntimeContext } from './runtime-context.ts'

type AnyProcess = ProcessFunction<any, any> | CoProcessFunction<any, any, any>

/** The context and collector handed to the function, reused for every element. */
class ElementContext implements ProcessContext, Collector<unknown>, TimerService {
  readonly #op: ProcessOperator
  ts = NO_TIMESTAMP
  constructor (op: ProcessOperator) { this.#op = op }
  get timestamp (): number | undefined { return this.ts === NO_TIMESTAMP ? undefined : this.ts }
  get timerService (): TimerService { return this }
  output<X> (tag: OutputTag<X>, value: X): void { this.#op.output.collectSide(tag.id, value, this.ts) }
  collect (value: unknown): void { this.#op.output.collect(value, this.ts) }
  currentProcessingTime (): number { return this.#op.context.processingTime.now() }
  currentWatermark (): number { return this.#op.currentWatermark }
  registerEventTimeTimer (): void { this.#noTimers() }
  registerProcessingTimeTimer (): void { this.#noTimers() }
  deleteEventTimeTimer (): void { this.#noTimers() }
  deleteProcessingTimeTimer (): void { this.#noTimers() }
  #noTimers (): never {
    throw new TypeError('Timers are only available on a keyed stream (call keyBy first)')
  }
}

export class ProcessOperator extends StreamOperator {
  readonly #fn: AnyProcess
  readonly #ctx = new ElementContext(this)

  constructor (fn: AnyProcess) {
    super()
    this.#fn = fn
  }

  override async open (): Promise<void> {
    try {
      await this.#fn.open?.(createRuntimeContext(this.context, undefined))
    } catch (err) {
      throw this.fail(err)
    }
  }

  processElement (value: unknown, timestamp: number): void {
    const ctx = this.#ctx
    ctx.ts = timestamp
    const fn = this.#fn
    try {
      if ('processElement' in fn) fn.processElement(value, ctx, ctx)
      else fn.processElement1(value, ctx, ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  override processElement2 (value: unknown, timestamp: number): void {
    const ctx = this.#ctx
    ctx.ts = timestamp
    try {
      (this.#fn as CoProcessFunction<any, any, any>).processElement2(value, ctx, ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  override endInput (): void {
    const fn = this.#fn
    if (!('endInput' in fn) || fn.endInput === undefined) return
    this.#ctx.ts = NO_TIMESTAMP
    try {
      fn.endInput(this.#ctx)
    } catch (err) {
      throw this.fail(err)
    }
  }

  override async close (): Promise<void> {
    await this.#fn.close?.()
  }
}
