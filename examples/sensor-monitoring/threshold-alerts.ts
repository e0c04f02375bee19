/**
 * Alerts once when a sensor's temperature rises above the threshold, and reports the
 * recovery once when it falls back to or below it — per crossing, not per reading.
 *
 * Readings of one sensor can arrive out of order (they come from several source
 * subtasks), and a crossing only means something in event-time order. So each reading
 * waits in keyed state until the watermark passes its timestamp (an event-time timer at
 * `ts`), and timers fire in time order: the function sees every sensor's readings sorted by
 * event time, whatever the parallelism. This is Flink's usual way to sort a keyed stream.
 */
import {
  keyGroupOf, MapStateDescriptor, subtaskForKeyGroup, ValueStateDescriptor,
  type Collector, type Key, type KeyedProcessContext, type KeyedProcessFunction, type MapState,
  type OnTimerContext, type RuntimeContext, type ValueState
} from 'meshflow'
import type { Reading } from './sensors.ts'

export interface Alert {
  readonly type: 'ALERT' | 'RECOVERED'
  readonly sensor: string
  readonly temp: number
  /** Event time of the reading that crossed the threshold, ISO 8601. */
  readonly at: string
}

interface SubtaskState {
  /** Temperatures waiting for the watermark, by event time. */
  readonly pending: MapState<number, number[]>
  /** Whether the last alert of this sensor is still open (no recovery yet). */
  readonly alerted: ValueState<boolean>
}

export class ThresholdAlerts implements KeyedProcessFunction<Reading, Alert> {
  readonly threshold: number
  /**
   * The state handles of each parallel subtask. In Flink every subtask gets its own copy
   * of the function, and `open` would simply store the handles in fields; meshflow 0.1's
   * runtime hands the same function object to all subtasks of the operator, so fields set
   * in `open` would be overwritten by the last subtask to open. Until that changes, the
   * handles are kept per subtask and found from the key (key group -> subtask, the
   * runtime's own partitioning).
   */
  readonly #bySubtask: SubtaskState[] = []
  #parallelism = 1
  #maxParallelism = 1

  constructor (threshold: number) {
    this.threshold = threshold
  }

  open (ctx: RuntimeContext): void {
    this.#parallelism = ctx.parallelism
    this.#maxParallelism = ctx.maxParallelism
    this.#bySubtask[ctx.subtaskIndex] = {
      pending: ctx.getMapState(new MapStateDescriptor<number, number[]>('pending')),
      alerted: ctx.getState(new ValueStateDescriptor<boolean>('alerted', false))
    }
  }

  #state (key: Key): SubtaskState {
    const subtask = this.#parallelism === 1 ? 0 : subtaskForKeyGroup(keyGroupOf(key, this.#maxParallelism), this.#parallelism, this.#maxParallelism)
    return this.#bySubtask[subtask]!
  }

  processElement (r: Reading, ctx: KeyedProcessContext, _out: Collector<Alert>): void {
    const { pending } = this.#state(ctx.currentKey)
    pending.put(r.ts, [...pending.get(r.ts) ?? [], r.temp])
    ctx.timerService.registerEventTimeTimer(r.ts)
  }

  onTimer (ts: number, ctx: OnTimerContext, out: Collector<Alert>): void {
    const { pending, alerted } = this.#state(ctx.currentKey)
    const temps = pending.get(ts) ?? []
    pending.remove(ts)
    const sensor = String(ctx.currentKey)
    for (const temp of temps) {
      const above = temp > this.threshold
      if (above === (alerted.value() === true)) continue
      alerted.update(above)
      out.collect({ type: above ? 'ALERT' : 'RECOVERED', sensor, temp, at: new Date(ts).toISOString() })
    }
  }
}
