/**
 * Runs a KeyedProcessFunction (one input) or KeyedCoProcessFunction (two inputs): keyed
 * state scoped to the current key, and event-time and processing-time timers per key.
 * Event-time timers fire when the watermark reaches their time; processing-time timers
 * when the clock does.
 *
 * Checkpoints hold the state tables (namespaces `s:<state name>`), the timers of each key
 * (`t:e` event time, `t:p` processing time) and the watermark, written incrementally; a
 * restore rebuilds them and schedules the processing-time timers again in `open`.
 */
import type {
  Collector, Key, KeyedCoProcessFunction, KeyedProcessFunction, OnTimerContext, TimerService
} from '../../api/functions.ts'
import type { OutputTag } from '../../api/output-tag.ts'
import type { OperatorSnapshot, RestoredOperatorState } from '../checkpoint.ts'
import { StateRestoreError } from '../errors.ts'
import { HeapKeyedStateBackend, STATE_NAMESPACE_PREFIX } from '../state/heap-keyed-state-backend.ts'
import { keyedSnapshotsOf, type IncrementalKeyedSnapshot, type KeyedStateView } from '../state/incremental-keyed-snapshot.ts'
import { readKeyedState } from '../state/read-keyed-state.ts'
import { NO_TIMESTAMP } from '../stream-element.ts'
import { StreamOperator, type OperatorContext, type Output } from '../stream-operator.ts'
import { TimerQueue } from '../timer-queue.ts'
import { createRuntimeContext } from './runtime-context.ts'

/** Namespaces of the timers in snapshots. */
const EVENT_TIMERS = 't:e'
const PROCESSING_TIMERS = 't:p'

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
  readonly eventTimers = new TimerQueue({ indexKeys: true })
  readonly processingTimers = new TimerQueue({ indexKeys: true })
  #backend!: HeapKeyedStateBackend
  #snapshots!: IncrementalKeyedSnapshot
  readonly #ctx = new KeyedContext(this)
  #scheduledAt = Number.POSITIVE_INFINITY
  #cancelScheduled: (() => void) | undefined
  #key0!: (value: any) => Key
  #key1: ((value: any) => Key) | undefined
  /** The restored watermark: lower ones (from inputs that restarted behind it) are ignored. */
  #watermarkFloor = Number.NEGATIVE_INFINITY
  readonly #view: KeyedStateView = {
    forEach: visit => {
      this.#backend.forEachEntry(visit)
      this.eventTimers.forEachKey((key, times) => { visit(EVENT_TIMERS, key, times) })
      this.processingTimers.forEachKey((key, times) => { visit(PROCESSING_TIMERS, key, times) })
    },
    get: (ns, key) => {
      if (ns === EVENT_TIMERS) return this.eventTimers.timesOf(key)
      if (ns === PROCESSING_TIMERS) return this.processingTimers.timesOf(key)
      return this.#backend.entry(ns, key)
    }
  }

  constructor (fn: AnyKeyedProcess) {
    super()
    this.#fn = fn
  }

  override setup (context: OperatorContext, output: Output): void {
    super.setup(context, output)
    const snapshots = keyedSnapshotsOf(context)
    this.#snapshots = snapshots
    this.#backend = new HeapKeyedStateBackend(context.processingTime.now, { changes: ns => snapshots.changes(ns) })
    this.eventTimers.trackChanges(snapshots.changes(EVENT_TIMERS))
    this.processingTimers.trackChanges(snapshots.changes(PROCESSING_TIMERS))
  }

  override restoreState (state: RestoredOperatorState): void {
    const restored = readKeyedState(state, this.context.maxParallelism)
    for (const [ns, entries] of restored.namespaces) {
      const timers = ns === EVENT_TIMERS ? this.eventTimers : ns === PROCESSING_TIMERS ? this.processingTimers : undefined
      if (timers === undefined) {
        if (!ns.startsWith(STATE_NAMESPACE_PREFIX)) throw new StateRestoreError(`Operator '${this.context.operatorName}' cannot restore keyed state '${ns}': it is not a keyed process function's`)
        continue
      }
      for (const [key, times] of entries) {
        if (!Array.isArray(times) || !times.every(t => typeof t === 'number')) throw new StateRestoreError(`Operator '${this.context.operatorName}': restored timers of a key are not a list of times`)
        for (const t of times as number[]) timers.add(t, key)
      }
    }
    this.#backend.restore(restored.namespaces, restored.meta)
    this.currentWatermark = this.#watermarkFloor = restored.watermark
    this.#snapshots.adopt(restored)
  }

  override async open (): Promise<void> {
    const selectors = this.context.keySelectors
    if (selectors === undefined || selectors[0] === undefined) throw new Error(`Operator '${this.context.operatorName}' needs a keyed input`)
    this.#key0 = selectors[0]
    this.#key1 = selectors[1]
    try {
      await this.#fn.open?.(createRuntimeContext(this.context, this.#backend))
    } catch (err) {
      throw this.fail(err)
    }
    // restored processing-time timers (already due ones fire at once)
    const next = this.processingTimers.peek()
    if (next !== undefined) this.#schedule(next)
  }

  override snapshotState (checkpointId: number): OperatorSnapshot {
    return {
      keyed: this.#snapshots.snapshot(checkpointId, this.#view, { watermark: this.currentWatermark, meta: this.#backend.meta() })
    }
  }

  override notifyCheckpointComplete (checkpointId: number): void {
    this.#snapshots.complete(checkpointId)
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
    if (watermark < this.#watermarkFloor) return
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
