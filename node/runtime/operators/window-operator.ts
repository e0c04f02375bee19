/**
 * Keyed windows: tumbling, sliding and session windows in event or processing time, and
 * global windows fired by a count trigger. Window contents are kept pre-aggregated through
 * an AggregateFunction (a reduce is an aggregate, `process` aggregates into a list), and a
 * window function turns the result into output when the window fires.
 *
 * Semantics are Flink's (https://nightlies.apache.org/flink/flink-docs-stable/docs/dev/datastream/operators/windows/):
 * - a window `[start, end)` holds events with `start <= ts < end` and fires when the
 *   watermark reaches `end - 1`; its output carries the timestamp `end - 1`;
 * - an element whose windows all satisfy `end - 1 + allowedLateness <= watermark` is late:
 *   dropped, or sent to the late-data side output;
 * - an element that lands in a window already fired but within the allowed lateness
 *   updates it and fires it again at once; the window's state is dropped when the
 *   watermark passes `end - 1 + allowedLateness`;
 * - session windows merge when they touch or overlap (`a.start <= b.end && a.end >= b.start`).
 * Processing-time windows fire by the clock; at the end of bounded input every window
 * still open fires (event time through the final watermark, processing time in `endInput`).
 *
 * Checkpoints hold the windows as keyed state, written incrementally (window-state.ts for
 * their form), and the watermark. Timers are not stored: a restore derives them from the
 * windows (a window's end, or its cleanup time once fired).
 */
import type { AggregateFunction, Collector, Key, TimeWindow } from '../../api/functions.ts'
import { windowStartFor, type CountTrigger, type WindowAssigner } from '../../api/windows.ts'
import type { OperatorSnapshot, RestoredOperatorState } from '../checkpoint.ts'
import { StateRestoreError } from '../errors.ts'
import { keyedSnapshotsOf, type IncrementalKeyedSnapshot, type KeyedStateView } from '../state/incremental-keyed-snapshot.ts'
import { readKeyedState } from '../state/read-keyed-state.ts'
import { StreamOperator, type OperatorContext, type Output } from '../stream-operator.ts'
import { TimerQueue } from '../timer-queue.ts'
import {
  BUCKET_PREFIX, bucketEntry, bucketStart, COUNTS, countEntry, newBucket, restoreBucket, restoreCount, restoreSessions,
  SESSIONS, sessionsEntry, type Bucket, type CountState, type Session
} from './window-state.ts'

export interface WindowOperatorSpec {
  readonly assigner: WindowAssigner
  readonly trigger: CountTrigger | undefined
  /** Incremental aggregation of the window's elements. */
  readonly aggregate: AggregateFunction<any, any, any>
  /** Emits the output of a fired window from the aggregate's result. */
  readonly emit: (key: Key, window: TimeWindow, result: any, out: Collector<unknown>) => void
  readonly allowedLateness: number
  readonly lateDataTag: string | undefined
}

const GLOBAL_WINDOW: TimeWindow = Object.freeze({ start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY })

export class WindowOperator extends StreamOperator implements Collector<unknown> {
  readonly #spec: WindowOperatorSpec
  readonly #eventTime: boolean
  #key!: (value: any) => Key
  /** Aligned (tumbling/sliding) windows by start. */
  readonly #buckets = new Map<number, Bucket>()
  #lastStart = Number.NaN
  #lastBucket: Bucket | undefined
  /** Session windows per key, sorted by start. */
  readonly #sessions = new Map<Key, Session[]>()
  readonly #sessionTimers = new TimerQueue()
  /** Global windows with a count trigger. */
  readonly #counts = new Map<Key, CountState>()
  #outTs = 0
  #cancelTimer: (() => void) | undefined
  #timerAt = Number.POSITIVE_INFINITY
  #snapshots!: IncrementalKeyedSnapshot
  #sessionChanges: Set<Key> | undefined
  #countChanges: Set<Key> | undefined
  /** The restored watermark: lower ones (from inputs that restarted behind it) are ignored. */
  #watermarkFloor = Number.NEGATIVE_INFINITY
  readonly #view: KeyedStateView

  constructor (spec: WindowOperatorSpec) {
    super()
    this.#spec = spec
    this.#eventTime = spec.assigner.timeDomain === 'event-time' && spec.assigner.kind !== 'global'
    let lastNs: string | undefined
    let lastBucket: Bucket | undefined
    this.#view = {
      forEach: visit => {
        for (const b of this.#buckets.values()) {
          for (const [key, acc] of b.state) visit(b.ns, key, bucketEntry(b, key, acc))
        }
        for (const [key, sessions] of this.#sessions) visit(SESSIONS, key, sessionsEntry(sessions))
        for (const [key, c] of this.#counts) visit(COUNTS, key, countEntry(c))
      },
      get: (ns, key) => {
        if (ns === SESSIONS) {
          const sessions = this.#sessions.get(key)
          return sessions === undefined ? undefined : sessionsEntry(sessions)
        }
        if (ns === COUNTS) {
          const c = this.#counts.get(key)
          return c === undefined ? undefined : countEntry(c)
        }
        // the changed keys of one window come together: look it up once for them
        let b = lastBucket
        if (ns !== lastNs || b === undefined || this.#buckets.get(b.start) !== b) {
          lastNs = ns
          b = lastBucket = this.#buckets.get(bucketStart(ns))
        }
        const acc = b !== undefined && b.ns === ns ? b.state.get(key) : undefined
        return acc === undefined ? undefined : bucketEntry(b!, key, acc)
      }
    }
  }

  override setup (context: OperatorContext, output: Output): void {
    super.setup(context, output)
    this.#snapshots = keyedSnapshotsOf(context)
    this.#sessionChanges = this.#snapshots.changes(SESSIONS)
    this.#countChanges = this.#snapshots.changes(COUNTS)
  }

  override restoreState (state: RestoredOperatorState): void {
    const restored = readKeyedState(state, this.context.maxParallelism)
    const lateness = this.#spec.allowedLateness
    const changes = (ns: string): Set<Key> | undefined => this.#snapshots.changes(ns)
    for (const [ns, entries] of restored.namespaces) {
      const bad = (): never => {
        throw new StateRestoreError(`Operator '${this.context.operatorName}' cannot restore keyed state '${ns}': it is not state of this window operator`)
      }
      if (ns === SESSIONS) {
        for (const [key, entry] of entries) {
          const sessions = restoreSessions(entry, bad)
          this.#sessions.set(key, sessions)
          // timers come from the windows: a session's end, or its cleanup once fired
          for (const s of sessions) this.#sessionTimers.add(s.fired ? s.end - 1 + lateness : s.end - 1, key)
        }
      } else if (ns === COUNTS) {
        for (const [key, entry] of entries) this.#counts.set(key, restoreCount(entry, bad))
      } else if (ns.startsWith(BUCKET_PREFIX)) {
        const bucket = restoreBucket(ns, entries, changes, bad)
        this.#buckets.set(bucket.start, bucket)
      } else {
        bad()
      }
    }
    this.currentWatermark = this.#watermarkFloor = restored.watermark
    this.#snapshots.adopt(restored)
  }

  override snapshotState (checkpointId: number): OperatorSnapshot {
    const watermark = this.#eventTime ? this.currentWatermark : Number.NEGATIVE_INFINITY
    return { keyed: this.#snapshots.snapshot(checkpointId, this.#view, { watermark }) }
  }

  override notifyCheckpointComplete (checkpointId: number): void {
    this.#snapshots.complete(checkpointId)
  }

  /** Number of windows holding state (for tests and metrics). */
  get openWindows (): number {
    let n = this.#buckets.size + this.#counts.size
    for (const s of this.#sessions.values()) n += s.length
    return n
  }

  override open (): void {
    this.#key = this.context.keySelectors![0]!
    // processing-time windows restored: schedule the earliest (already due ones fire at once)
    if (!this.#eventTime) this.#scheduleNext()
  }

  collect (value: unknown): void {
    this.output.collect(value, this.#outTs)
  }

  #fire (key: Key, window: TimeWindow, acc: unknown, timestamp: number): void {
    this.#outTs = timestamp
    try {
      // user code gets a window of its own, never the bucket or session holding the state
      const w: TimeWindow = window === GLOBAL_WINDOW ? window : { start: window.start, end: window.end }
      this.#spec.emit(key, w, this.#spec.aggregate.getResult(acc), this)
    } catch (err) {
      throw this.fail(err)
    }
  }

  #late (value: unknown, timestamp: number): void {
    const tag = this.#spec.lateDataTag
    if (tag !== undefined) this.output.collectSide(tag, value, timestamp)
  }

  #timeOf (timestamp: number): number {
    if (!this.#eventTime) return this.context.processingTime.now()
    if (timestamp === Number.NEGATIVE_INFINITY || Number.isNaN(timestamp)) {
      throw this.fail(new TypeError('A record has no event timestamp: give the source a WatermarkStrategy with a timestamp assigner, or use processing-time windows'))
    }
    return timestamp
  }

  // its own loop, so that the call to processElement in it stays monomorphic and inlined
  override processBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) this.processElement(values[i], timestamps[i]!)
  }

  processElement (value: unknown, timestamp: number): void {
    let key: Key
    let time = 0
    const a = this.#spec.assigner
    try {
      key = this.#key(value)
      if (a.kind !== 'global') time = this.#timeOf(timestamp)
    } catch (err) {
      throw this.fail(err)
    }
    switch (a.kind) {
      case 'tumbling': {
        const start = windowStartFor(time, a.offset, a.size)
        if (!this.#addAligned(key, value, timestamp, start, start + a.size)) this.#late(value, timestamp)
        return
      }
      case 'sliding': {
        let accepted = false
        const last = windowStartFor(time, a.offset, a.slide)
        for (let start = last; start > time - a.size; start -= a.slide) {
          if (this.#addAligned(key, value, timestamp, start, start + a.size)) accepted = true
        }
        // as in Flink, an element no window took is late data only when it is late itself
        // (with a slide larger than the size, some elements fall between windows)
        if (!accepted && this.#eventTime && time + this.#spec.allowedLateness <= this.currentWatermark) this.#late(value, timestamp)
        return
      }
      case 'session':
        this.#addSession(key, value, timestamp, time, a.gap)
        return
      case 'global':
        this.#addCount(key, value, timestamp)
    }
  }

  /** Adds to an aligned window; false when the window is already past its lateness. */
  #addAligned (key: Key, value: unknown, timestamp: number, start: number, end: number): boolean {
    const lateness = this.#spec.allowedLateness
    if (this.#eventTime && end - 1 + lateness <= this.currentWatermark) return false
    let bucket: Bucket | undefined
    if (start === this.#lastStart) {
      bucket = this.#lastBucket!
    } else {
      bucket = this.#buckets.get(start)
      if (bucket === undefined) {
        bucket = newBucket(start, end, ns => this.#snapshots.changes(ns))
        this.#buckets.set(start, bucket)
        if (!this.#eventTime) this.#scheduleAt(end - 1)
      }
      this.#lastStart = start
      this.#lastBucket = bucket
    }
    const fn = this.#spec.aggregate
    const state = bucket.state
    let acc = state.get(key)
    try {
      acc = fn.add(value, acc === undefined ? fn.createAccumulator() : acc)
    } catch (err) {
      throw this.fail(err)
    }
    state.set(key, acc)
    bucket.changes?.add(key)
    // An element of a window the watermark has already passed (but within the allowed
    // lateness) fires it at once, as Flink's EventTimeTrigger does on such an element: a
    // re-fire with the update when the window fired before, or its first firing when this
    // element created it after the watermark passed its end.
    if (bucket.firedKeys?.has(key) === true) {
      this.#fire(key, bucket, acc, end - 1)
    } else if (bucket.fired || (this.#eventTime && end - 1 <= this.currentWatermark)) {
      if (!bucket.fired) this.#markFired(bucket, lateness, this.currentWatermark)
      this.#fire(key, bucket, acc, end - 1)
    }
    return true
  }

  #addSession (key: Key, value: unknown, timestamp: number, time: number, gap: number): void {
    const fn = this.#spec.aggregate
    let start = time
    let end = time + gap
    const sessions = this.#sessions.get(key)
    // find the sessions the new one touches: they merge into one
    let first = -1
    let count = 0
    if (sessions !== undefined) {
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!
        if (s.start <= end && s.end >= start) {
          if (first < 0) first = i
          count++
          if (s.start < start) start = s.start
          if (s.end > end) end = s.end
        } else if (first >= 0) {
          break
        }
      }
    }
    if (this.#eventTime && end - 1 + this.#spec.allowedLateness <= this.currentWatermark) {
      this.#late(value, timestamp)
      return
    }
    let acc: unknown
    try {
      if (count === 0) {
        acc = fn.createAccumulator()
      } else {
        acc = sessions![first]!.acc
        for (let i = first + 1; i < first + count; i++) acc = fn.merge!(acc, sessions![i]!.acc)
      }
      acc = fn.add(value, acc)
    } catch (err) {
      throw this.fail(err)
    }
    this.#sessionChanges?.add(key)
    const merged: Session = { start, end, acc, fired: false }
    if (sessions === undefined) {
      this.#sessions.set(key, [merged])
    } else if (count === 0) {
      let at = 0
      while (at < sessions.length && sessions[at]!.start < start) at++
      sessions.splice(at, 0, merged)
    } else {
      sessions.splice(first, count, merged)
    }
    if (this.#eventTime && end - 1 <= this.currentWatermark) {
      // merged into (or created) a window the watermark has passed: fire it now
      merged.fired = true
      this.#fire(key, merged, acc, end - 1)
      this.#sessionTimers.add(end - 1 + this.#spec.allowedLateness, key)
    } else {
      this.#sessionTimers.add(end - 1, key)
      if (!this.#eventTime) this.#scheduleAt(end - 1)
    }
  }

  #addCount (key: Key, value: unknown, timestamp: number): void {
    const fn = this.#spec.aggregate
    const trigger = this.#spec.trigger!
    let state = this.#counts.get(key)
    try {
      if (state === undefined) {
        state = { count: 0, acc: fn.createAccumulator() }
        this.#counts.set(key, state)
      }
      state.acc = fn.add(value, state.acc)
    } catch (err) {
      throw this.fail(err)
    }
    this.#countChanges?.add(key)
    if (++state.count >= trigger.count) {
      this.#fire(key, GLOBAL_WINDOW, state.acc, timestamp)
      if (trigger.purge) this.#counts.delete(key)
      else state.count = 0
    }
  }

  /** Fires every window whose end - 1 <= `time`, and drops state past its lateness. */
  #advance (time: number, lateness: number): void {
    if (this.#buckets.size > 0) {
      let due: Bucket[] | undefined
      for (const b of this.#buckets.values()) {
        if (!b.fired && b.end - 1 <= time) (due ??= []).push(b)
      }
      if (due !== undefined) {
        due.sort((x, y) => x.end - y.end)
        for (const b of due) {
          const already = b.firedKeys
          this.#markFired(b, lateness, time)
          for (const [key, acc] of b.state) if (already?.has(key) !== true) this.#fire(key, b, acc, b.end - 1)
        }
      }
      for (const b of this.#buckets.values()) {
        if (b.fired && b.end - 1 + lateness <= time) {
          this.#buckets.delete(b.start)
          this.#snapshots.drop(b.ns)
          if (this.#lastBucket === b) {
            this.#lastBucket = undefined
            this.#lastStart = Number.NaN
          }
        }
      }
    }
    if (this.#sessions.size > 0) {
      // Each timer acts at its own time, so sessions fire in the order of their ends
      // across keys (as Flink's timers do); a timer left behind by a merge acts on nothing.
      this.#sessionTimers.popUntil(time, (t, key) => { this.#advanceSessions(key, t, lateness) })
    }
  }

  /**
   * Marks an aligned window fired; when it stays for its allowed lateness, every entry
   * changed (snapshots store the flag per entry).
   */
  #markFired (b: Bucket, lateness: number, time: number): void {
    b.fired = true
    b.firedKeys = undefined
    if (b.changes !== undefined && b.end - 1 + lateness > time) for (const key of b.state.keys()) b.changes.add(key)
  }

  #advanceSessions (key: Key, time: number, lateness: number): void {
    const sessions = this.#sessions.get(key)
    if (sessions === undefined) return
    for (const s of sessions) {
      if (!s.fired && s.end - 1 <= time) {
        this.#sessionChanges?.add(key)
        s.fired = true
        this.#fire(key, s, s.acc, s.end - 1)
        if (lateness > 0) this.#sessionTimers.add(s.end - 1 + lateness, key)
      }
    }
    const kept = sessions.filter(s => !(s.fired && s.end - 1 + lateness <= time))
    if (kept.length !== sessions.length) this.#sessionChanges?.add(key)
    if (kept.length === 0) this.#sessions.delete(key)
    else if (kept.length !== sessions.length) this.#sessions.set(key, kept)
  }

  override processWatermark (watermark: number): void {
    if (watermark < this.#watermarkFloor) return
    this.currentWatermark = watermark
    if (this.#eventTime) this.#advance(watermark, this.#spec.allowedLateness)
    this.output.emitWatermark(watermark)
  }

  #scheduleAt (time: number): void {
    if (time >= this.#timerAt) return
    this.#cancelTimer?.()
    this.#timerAt = time
    this.#cancelTimer = this.context.processingTime.schedule(time, this.#onProcessingTime)
  }

  #onProcessingTime = (): void => {
    this.#cancelTimer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
    this.#advance(this.context.processingTime.now(), 0)
    this.#scheduleNext()
  }

  /** Schedules the earliest processing-time window end. */
  #scheduleNext (): void {
    let next = this.#sessionTimers.peek() ?? Number.POSITIVE_INFINITY
    for (const b of this.#buckets.values()) if (b.end - 1 < next) next = b.end - 1
    if (next !== Number.POSITIVE_INFINITY) this.#scheduleAt(next)
  }

  override endInput (): void {
    // event-time windows have fired on the final watermark; processing-time ones fire now
    if (!this.#eventTime) this.#advance(Number.POSITIVE_INFINITY, 0)
  }

  override close (): void {
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
  }
}
