/**
 * Window assigners and triggers, as in Flink. All sizes are milliseconds; tumbling and
 * sliding windows are aligned to the epoch (plus an optional offset).
 *
 * @example
 * stream.keyBy(s => s.store).window(TumblingEventTimeWindows.of(60_000))
 * stream.keyBy(r => r.sensor).window(EventTimeSessionWindows.withGap(5_000))
 * stream.keyBy(r => r.sensor).window(GlobalWindows.create()).trigger(CountTrigger.of(100))
 */
import { InvalidArgumentError } from './errors.ts'

export type TimeDomain = 'event-time' | 'processing-time'

function positive (what: string, n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number of milliseconds, got ${n}`)
  return n
}

/** Start of the window of `size` (aligned to `offset`) that contains `ts`. */
export function windowStartFor (ts: number, offset: number, size: number): number {
  const r = (ts - offset) % size
  return ts - (r < 0 ? r + size : r)
}

export class TumblingWindowAssigner {
  readonly kind = 'tumbling'
  readonly timeDomain: TimeDomain
  readonly size: number
  readonly offset: number
  constructor (timeDomain: TimeDomain, size: number, offset: number) {
    this.timeDomain = timeDomain
    this.size = positive('Window size', size)
    if (!Number.isFinite(offset) || Math.abs(offset) >= size) throw new InvalidArgumentError(`Window offset must be smaller than the size, got ${offset}`)
    this.offset = offset
  }
}

export class SlidingWindowAssigner {
  readonly kind = 'sliding'
  readonly timeDomain: TimeDomain
  readonly size: number
  readonly slide: number
  readonly offset: number
  constructor (timeDomain: TimeDomain, size: number, slide: number, offset: number) {
    this.timeDomain = timeDomain
    this.size = positive('Window size', size)
    this.slide = positive('Window slide', slide)
    if (!Number.isFinite(offset) || Math.abs(offset) >= slide) throw new InvalidArgumentError(`Window offset must be smaller than the slide, got ${offset}`)
    this.offset = offset
  }
}

export class SessionWindowAssigner {
  readonly kind = 'session'
  readonly timeDomain: TimeDomain
  readonly gap: number
  constructor (timeDomain: TimeDomain, gap: number) {
    this.timeDomain = timeDomain
    this.gap = positive('Session gap', gap)
  }
}

/** One window per key holding every element; it fires only through its trigger. */
export class GlobalWindowAssigner {
  readonly kind = 'global'
  readonly timeDomain = 'event-time'
}

export type WindowAssigner = TumblingWindowAssigner | SlidingWindowAssigner | SessionWindowAssigner | GlobalWindowAssigner

export const TumblingEventTimeWindows = {
  of: (size: number, offset = 0): TumblingWindowAssigner => new TumblingWindowAssigner('event-time', size, offset)
}
export const TumblingProcessingTimeWindows = {
  of: (size: number, offset = 0): TumblingWindowAssigner => new TumblingWindowAssigner('processing-time', size, offset)
}
export const SlidingEventTimeWindows = {
  of: (size: number, slide: number, offset = 0): SlidingWindowAssigner => new SlidingWindowAssigner('event-time', size, slide, offset)
}
export const SlidingProcessingTimeWindows = {
  of: (size: number, slide: number, offset = 0): SlidingWindowAssigner => new SlidingWindowAssigner('processing-time', size, slide, offset)
}
export const EventTimeSessionWindows = {
  withGap: (gap: number): SessionWindowAssigner => new SessionWindowAssigner('event-time', gap)
}
export const ProcessingTimeSessionWindows = {
  withGap: (gap: number): SessionWindowAssigner => new SessionWindowAssigner('processing-time', gap)
}
export const GlobalWindows = {
  create: (): GlobalWindowAssigner => new GlobalWindowAssigner()
}

/** Fires a window each time it has received `count` more elements. */
export class CountTrigger {
  readonly kind = 'count'
  readonly count: number
  readonly purge: boolean
  private constructor (count: number, purge: boolean) {
    if (!Number.isInteger(count) || count <= 0) throw new InvalidArgumentError(`CountTrigger needs a positive integer count, got ${count}`)
    this.count = count
    this.purge = purge
  }

  /** Fires every `count` elements; the window keeps its contents (Flink's CountTrigger). */
  static of (count: number): CountTrigger { return new CountTrigger(count, false) }
  /** Fires every `count` elements and clears the window (Flink's PurgingTrigger of a CountTrigger). */
  static purging (count: number): CountTrigger { return new CountTrigger(count, true) }
}

export type Trigger = CountTrigger
