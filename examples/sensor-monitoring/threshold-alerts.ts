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
  MapStateDescriptor, ValueStateDescriptor,
  type Collector, type KeyedProcessContext, type KeyedProcessFunction, type MapState,
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

/**
 * Each parallel subtask gets its own instance (the job passes a factory,
 * `() => new ThresholdAlerts(t)`), so `open` keeps that subtask's state handles in fields.
 */
export class ThresholdAlerts implements KeyedProcessFunction<Reading, Alert> {
  readonly threshold: number
  /** Temperatures waiting for the watermark, by event time. */
  #pending!: MapState<number, number[]>
  /** Whether the last alert of this sensor is still open (no recovery yet). */
  #alerted!: ValueState<boolean>

  constructor (threshold: number) {
    this.threshold = threshold
  }

  open (ctx: RuntimeContext): void {
    this.#pending = ctx.getMapState(new MapStateDescriptor<number, number[]>('pending'))
    this.#alerted = ctx.getState(new ValueStateDescriptor<boolean>('alerted', false))
  }

  processElement (r: Reading, ctx: KeyedProcessContext, _out: Collector<Alert>): void {
    const pending = this.#pending
    pending.put(r.ts, [...pending.get(r.ts) ?? [], r.temp])
    ctx.timerService.registerEventTimeTimer(r.ts)
  }

  onTimer (ts: number, ctx: OnTimerContext, out: Collector<Alert>): void {
    const pending = this.#pending
    const alerted = this.#alerted
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
