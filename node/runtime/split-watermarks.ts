/**
 * Per-split watermarks of a source subtask (Flink's WatermarkOutputMultiplexer behind a
 * FLIP-27 SourceOperator): one bounded-out-of-orderness generator per split, and the
 * subtask's watermark is the minimum over the splits that are neither idle nor finished.
 *
 * - A split starts with no watermark: until its first records (or until it turns idle) it
 *   holds the subtask's watermark back, so a partition far behind in event time is not late.
 * - With an idle timeout, a split without records for that long is left out of the minimum;
 *   when every split is idle (or the subtask has none), the subtask's output turns idle.
 *   As in Flink's source, the highest split watermark is not flushed then (unlike the
 *   WatermarkValve of input channels): a split that went quiet behind the others may
 *   resume, and its records should not be late. Records of an idle split make it active
 *   again (and the output, if it was idle).
 * - A finished split is dropped, so it no longer holds the watermark back.
 * - The emitted watermark never goes back.
 *
 * No I/O and no timers: the task passes the time and asks when to check idleness next.
 *
 * @example
 * const wms = new SplitWatermarks({ outOfOrdernessMs: 0, idleTimeoutMs: 1000, emitWatermark, emitStatus })
 * wms.add(['p0', 'p1'], now)
 * wms.recordsFrom('p0', now); emit(batch); wms.advance('p0', maxTimestampOfBatch)
 */

/** One split's generator. */
interface SplitState {
  /** Its own watermark (-Infinity before its first records). */
  watermark: number
  /** When it last had records (or was added). */
  lastActive: number
  idle: boolean
}

export interface SplitWatermarksInit {
  /** The strategy's bounded out-of-orderness: a split's watermark is its max timestamp - this - 1. */
  readonly outOfOrdernessMs: number
  /** The strategy's `withIdleness` timeout; without one no split turns idle. */
  readonly idleTimeoutMs: number | undefined
  /** Emits the subtask's watermark (only when it advanced). */
  readonly emitWatermark: (watermark: number) => void
  /** Marks the subtask's output idle or active again. */
  readonly emitStatus: (idle: boolean) => void
}

export class SplitWatermarks {
  readonly #init: SplitWatermarksInit
  readonly #splits = new Map<string, SplitState>()
  /** The last watermark emitted. */
  #combined = Number.NEGATIVE_INFINITY
  #outputIdle = false
  /** No split can turn idle before this time (a lower bound of the earliest deadline). */
  #nextIdleCheck = Number.POSITIVE_INFINITY
  /** Splits the reader added (true) or finished (false) since the last `tick`, in order. */
  readonly #changes: Array<[string, boolean]> = []

  constructor (init: SplitWatermarksInit) {
    this.#init = init
  }

  /** True while the subtask's output is idle. */
  get idle (): boolean { return this.#outputIdle }

  /** The last watermark emitted. */
  get watermark (): number { return this.#combined }

  /** Ids of the splits tracked (not finished). */
  get splitIds (): string[] { return [...this.#splits.keys()] }

  /** The reader added split `id` itself: tracked from the next `tick`. */
  splitAdded (id: string): void { this.#changes.push([id, true]) }

  /**
   * The reader finished split `id`: dropped at the next `tick` (which the task runs after the
   * batch being read, so the split's last records still count).
   */
  splitFinished (id: string): void { this.#changes.push([id, false]) }

  /**
   * Between batches: applies the splits the reader added or finished, and marks idle the
   * splits without records for the idle timeout. Returns true when a watermark or status may
   * have gone out (what it fired must then be flushed).
   */
  tick (clock: () => number): boolean {
    let changed = false
    const changes = this.#changes
    if (changes.length > 0) {
      // added first: the children of a finished shard hold the watermark back before their
      // parent stops holding it
      const now = clock()
      for (const [id, added] of changes) if (added) this.add([id], now)
      for (const [id, added] of changes) if (!added) this.finish(id)
      changes.length = 0
      changed = true
    }
    if (this.#nextIdleCheck !== Number.POSITIVE_INFINITY && this.checkIdle(clock())) changed = true
    return changed
  }

  /** When `checkIdle` may next find an idle split (+Infinity: never, until records or a split arrive). */
  get nextIdleCheck (): number { return this.#nextIdleCheck }

  /**
   * Tracks splits from `now` on: each holds the watermark back until it has records or turns
   * idle (a split tracked already is left as it is). An idle output turns active again. The
   * first call, with the splits the subtask starts with, marks a subtask without any idle.
   */
  add (ids: Iterable<string>, now: number): void {
    for (const id of ids) {
      if (this.#splits.has(id)) continue
      this.#splits.set(id, { watermark: Number.NEGATIVE_INFINITY, lastActive: now, idle: false })
      this.#armIdle(now)
    }
    this.#update()
  }

  /**
   * Records of split `id` are about to be emitted: the split (tracked now if it was not) is
   * active, and so is the output, before the records go out.
   */
  recordsFrom (id: string, now: number): void {
    let s = this.#splits.get(id)
    if (s === undefined) {
      s = { watermark: Number.NEGATIVE_INFINITY, lastActive: now, idle: false }
      this.#splits.set(id, s)
    }
    s.lastActive = now
    if (s.idle) s.idle = false
    this.#armIdle(now)
    if (this.#outputIdle) {
      this.#outputIdle = false
      this.#init.emitStatus(false)
    }
  }

  /** The records of split `id` just emitted had timestamps up to `maxTimestamp`. */
  advance (id: string, maxTimestamp: number): void {
    const s = this.#splits.get(id)
    if (s === undefined) return
    const wm = maxTimestamp - this.#init.outOfOrdernessMs - 1
    if (wm > s.watermark) {
      s.watermark = wm
      this.#update()
    }
  }

  /** Split `id` is finished: it no longer holds the watermark back. */
  finish (id: string): void {
    if (this.#splits.delete(id)) this.#update()
  }

  /** Marks idle the splits without records for the idle timeout; returns true when any turned idle. */
  checkIdle (now: number): boolean {
    const timeout = this.#init.idleTimeoutMs
    if (timeout === undefined || now < this.#nextIdleCheck) return false
    let due: SplitState[] | undefined
    let next = Number.POSITIVE_INFINITY
    for (const s of this.#splits.values()) {
      if (s.idle) continue
      const deadline = s.lastActive + timeout
      if (now >= deadline) (due ??= []).push(s)
      else if (deadline < next) next = deadline
    }
    this.#nextIdleCheck = next
    if (due === undefined) return false
    // in the order their timeouts ran out, as if each had its own timer: the split quiet
    // the longest leaves the minimum first (so a late check gives what a timely one would)
    due.sort((a, b) => a.lastActive - b.lastActive)
    for (const s of due) {
      s.idle = true
      this.#update()
    }
    return true
  }

  #armIdle (now: number): void {
    const timeout = this.#init.idleTimeoutMs
    if (timeout !== undefined && now + timeout < this.#nextIdleCheck) this.#nextIdleCheck = now + timeout
  }

  /** Emits the minimum over the active splits if it advanced, or marks the output idle. */
  #update (): void {
    let min = Number.POSITIVE_INFINITY
    let active = false
    for (const s of this.#splits.values()) {
      if (s.idle) continue
      active = true
      if (s.watermark < min) min = s.watermark
    }
    if (!active) {
      if (!this.#outputIdle) {
        this.#outputIdle = true
        this.#init.emitStatus(true)
      }
      return
    }
    if (this.#outputIdle) {
      this.#outputIdle = false
      this.#init.emitStatus(false)
    }
    if (min > this.#combined) {
      this.#combined = min
      this.#init.emitWatermark(min)
    }
  }
}
