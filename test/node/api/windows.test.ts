/**
 * Window assigners and triggers: epoch-aligned window starts (DESIGN §3) and the checks on
 * sizes, slides, offsets, gaps and counts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  CountTrigger, EventTimeSessionWindows, GlobalWindows, ProcessingTimeSessionWindows, SlidingEventTimeWindows,
  SlidingProcessingTimeWindows, TumblingEventTimeWindows, TumblingProcessingTimeWindows, windowStartFor
} from 'meshflow'

const Windows = suite('windows')

Windows('windowStartFor aligns to multiples of the size plus the offset, for any sign', () => {
  assert.equal([0, 1, 9, 10, 19, -1, -10, -11].map(ts => windowStartFor(ts, 0, 10)), [0, 0, 0, 10, 10, -10, -10, -20])
  assert.equal([2, 3, 12, 13, -7, -8].map(ts => windowStartFor(ts, 3, 10)), [-7, 3, 3, 13, -7, -17])
  assert.equal([6, 7, -3, -4].map(ts => windowStartFor(ts, -3, 10)), [-3, 7, -3, -13])
  assert.is(windowStartFor(1_700_000_123_456, 0, 60_000), 1_700_000_100_000)
})

Windows('windowStartFor: start <= ts < start + size and start - offset is a multiple of size (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: -1e12, max: 1e12 }),
    fc.integer({ min: 1, max: 1e7 }).chain(size => fc.tuple(fc.constant(size), fc.integer({ min: -(size - 1), max: size - 1 }))),
    (ts, [size, offset]) => {
      const start = windowStartFor(ts, offset, size)
      return start <= ts && ts < start + size && ((start - offset) % size + size) % size === 0
    }))
})

Windows('assigners carry their kind, time domain and sizes', () => {
  const t = TumblingEventTimeWindows.of(60_000, 5_000)
  assert.equal([t.kind, t.timeDomain, t.size, t.offset], ['tumbling', 'event-time', 60_000, 5_000])
  const s = SlidingProcessingTimeWindows.of(10, 5)
  assert.equal([s.kind, s.timeDomain, s.size, s.slide, s.offset], ['sliding', 'processing-time', 10, 5, 0])
  assert.equal([TumblingProcessingTimeWindows.of(5).timeDomain, SlidingEventTimeWindows.of(10, 5).timeDomain], ['processing-time', 'event-time'])
  const g = EventTimeSessionWindows.withGap(30)
  assert.equal([g.kind, g.timeDomain, g.gap], ['session', 'event-time', 30])
  assert.is(ProcessingTimeSessionWindows.withGap(30).timeDomain, 'processing-time')
  assert.is(GlobalWindows.create().kind, 'global')
})

Windows('rejects non-positive sizes, slides and gaps, and offsets not smaller than the size or slide', () => {
  assert.throws(() => TumblingEventTimeWindows.of(-5), /Window size must be a positive number of milliseconds, got -5/)
  assert.throws(() => TumblingEventTimeWindows.of(Number.NaN), /Window size must be a positive number/)
  assert.throws(() => TumblingEventTimeWindows.of(10, -10), /Window offset must be smaller than the size, got -10/)
  assert.throws(() => SlidingEventTimeWindows.of(10, 0), /Window slide must be a positive number of milliseconds, got 0/)
  assert.throws(() => SlidingEventTimeWindows.of(10, 5, 5), /Window offset must be smaller than the slide, got 5/)
  assert.throws(() => EventTimeSessionWindows.withGap(0), /Session gap must be a positive number of milliseconds, got 0/)
})

Windows('count triggers: positive integer counts; of() keeps contents, purging() clears them', () => {
  assert.equal([CountTrigger.of(3).count, CountTrigger.of(3).purge], [3, false])
  assert.equal([CountTrigger.purging(2).count, CountTrigger.purging(2).purge], [2, true])
  assert.throws(() => CountTrigger.of(0), /CountTrigger needs a positive integer count, got 0/)
  assert.throws(() => CountTrigger.purging(-1), /got -1/)
})

Windows.run()
