/**
 * Windows against a direct computation, on random event streams (fast-check).
 *
 * Streams have bounded disorder: ts_i = base_i - jitter_i with base non-decreasing and
 * 0 <= jitter_i <= d, so every element is at least max(earlier ts) - d and none is late
 * under forBoundedOutOfOrderness(d). Every window result must then equal the sums and
 * counts computed directly from the events, at parallelism 1 (one source) and at
 * parallelism 4 (a source of four splits, each a subsequence of the stream, so the
 * watermark downstream is the minimum of four).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  EventTimeSessionWindows, OutputTag, SlidingEventTimeWindows, StreamEnvironment,
  TumblingEventTimeWindows, WatermarkStrategy, type DataStream, type WindowAssigner
} from 'meshflow'
import { listSource, sorted } from '../support.ts'

const WindowsProperty = suite('windows (property)')

interface Ev { k: string, ts: number, v: number }
interface Stream { d: number, events: Ev[] }
type Row = [string, number, number, number, number] // key, start, end, sum, count

/** A stream with disorder at most `d` (times `scale`, to keep every timestamp a multiple of it). */
function streamArb (scale = 1): fc.Arbitrary<Stream> {
  return fc.record({
    d: fc.integer({ min: 0, max: 12 }),
    keys: fc.integer({ min: 1, max: 4 }),
    start: fc.integer({ min: -150, max: 150 }),
    steps: fc.array(fc.record({
      gap: fc.integer({ min: 0, max: 9 }),
      jitter: fc.nat({ max: 1_000 }),
      key: fc.nat({ max: 100 }),
      v: fc.integer({ min: -20, max: 50 })
    }), { minLength: 1, maxLength: 150 })
  }).map(({ d, keys, start, steps }) => {
    let base = start
    const events = steps.map(s => {
      base += s.gap
      return { k: `k${s.key % keys}`, ts: scale * (base - (s.jitter % (d + 1))), v: s.v }
    })
    return { d: d * scale, events }
  })
}

const batchSizeArb = fc.constantFrom(1, 3, 16)

/** Runs `events` through keyBy -> window -> {sum, count}; parallel: a 4-split source at parallelism 4. */
async function run (stream: Stream, assigner: WindowAssigner, parallel: boolean, batchSize: number): Promise<{ rows: Row[], late: Ev[] }> {
  const env = StreamEnvironment.create({ parallelism: parallel ? 4 : 1, batchSize })
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(stream.d).withTimestampAssigner(x => x.ts)
  let input: DataStream<Ev>
  if (parallel) {
    const splits: Ev[][] = [[], [], [], []]
    stream.events.forEach((x, i) => { splits[i % 4]!.push(x) })
    input = env.fromSource(listSource(splits), strategy, 'events')
  } else {
    input = env.fromCollection(stream.events, strategy)
  }
  const lateTag = new OutputTag<Ev>('late')
  const windowed = input.keyBy(x => x.k)
    .window(assigner)
    .sideOutputLateData(lateTag)
    .aggregate({
      createAccumulator: () => ({ sum: 0, count: 0 }),
      add: (x: Ev, acc: { sum: number, count: number }) => ({ sum: acc.sum + x.v, count: acc.count + 1 }),
      getResult: (acc: { sum: number, count: number }) => acc,
      merge: (a: { sum: number, count: number }, b: { sum: number, count: number }) => ({ sum: a.sum + b.sum, count: a.count + b.count })
    }, (key, w, r): Row => [String(key), w.start, w.end, r.sum, r.count])
  const rows = windowed.collect()
  const late = windowed.sideOutput(lateTag).collect()
  await env.execute('windows-property')
  return { rows: rows.values, late: late.values }
}

/** Sums and counts per (key, window) for windows given as a function of the timestamp. */
function direct (events: Ev[], windowsOf: (ts: number) => [number, number][]): Row[] {
  const acc = new Map<string, Row>()
  for (const x of events) {
    for (const [start, end] of windowsOf(x.ts)) {
      const id = `${x.k}|${start}`
      const row = acc.get(id) ?? [x.k, start, end, 0, 0]
      row[3] += x.v
      row[4] += 1
      acc.set(id, row)
    }
  }
  return sorted([...acc.values()])
}

/** Every aligned window [offset + m * slide, + size) holding ts, by plain arithmetic. */
function alignedWindows (size: number, slide: number, offset: number): (ts: number) => [number, number][] {
  return ts => {
    const out: [number, number][] = []
    const first = Math.ceil((ts - size + 1 - offset) / slide)
    const last = Math.floor((ts - offset) / slide)
    for (let m = first; m <= last; m++) out.push([offset + m * slide, offset + m * slide + size])
    return out
  }
}

/** Sessions per key: sorted timestamps, a new session whenever the next one is past the end. */
function directSessions (events: Ev[], gap: number): Row[] {
  const rows: Row[] = []
  const byKey = new Map<string, Ev[]>()
  for (const x of events) byKey.set(x.k, [...(byKey.get(x.k) ?? []), x])
  for (const [k, xs] of byKey) {
    xs.sort((a, b) => a.ts - b.ts)
    let cur: Row | undefined
    for (const x of xs) {
      if (cur !== undefined && x.ts <= cur[2]) {
        cur[2] = Math.max(cur[2], x.ts + gap)
        cur[3] += x.v
        cur[4] += 1
      } else {
        if (cur !== undefined) rows.push(cur)
        cur = [k, x.ts, x.ts + gap, x.v, 1]
      }
    }
    if (cur !== undefined) rows.push(cur)
  }
  return sorted(rows)
}

async function check (stream: Stream, assigner: WindowAssigner, expected: Row[], batchSize: number): Promise<void> {
  const one = await run(stream, assigner, false, batchSize)
  const four = await run(stream, assigner, true, batchSize)
  assert.equal(one.late, [], 'no element is late at parallelism 1')
  assert.equal(four.late, [], 'no element is late at parallelism 4')
  assert.equal(sorted(one.rows), expected, 'parallelism 1 equals the direct computation')
  assert.equal(sorted(four.rows), sorted(one.rows), 'parallelism 4 gives the same multiset as parallelism 1')
}

WindowsProperty('tumbling windows: sums and counts per key equal a direct computation', async () => {
  await fc.assert(fc.asyncProperty(
    streamArb(),
    fc.integer({ min: 1, max: 40 }).chain(size => fc.tuple(fc.constant(size), fc.integer({ min: -(size - 1), max: size - 1 }))),
    batchSizeArb,
    async (stream, [size, offset], batchSize) => {
      await check(stream, TumblingEventTimeWindows.of(size, offset), direct(stream.events, alignedWindows(size, size, offset)), batchSize)
    }
  ), { numRuns: 100 })
})

WindowsProperty('sliding windows (also with slide > size): sums and counts per key equal a direct computation', async () => {
  await fc.assert(fc.asyncProperty(
    streamArb(),
    fc.integer({ min: 1, max: 15 }).chain(slide => fc.tuple(
      fc.integer({ min: 1, max: 4 * slide }), fc.constant(slide), fc.integer({ min: -(slide - 1), max: slide - 1 }))),
    batchSizeArb,
    async (stream, [size, slide, offset], batchSize) => {
      await check(stream, SlidingEventTimeWindows.of(size, slide, offset), direct(stream.events, alignedWindows(size, slide, offset)), batchSize)
    }
  ), { numRuns: 100 })
})

WindowsProperty('session windows: sessions per key equal a direct computation', async () => {
  // even timestamps and an odd gap: no element ever lands exactly on the end of a session
  // that has already fired, where Flink (and this engine) fire the shorter session first
  await fc.assert(fc.asyncProperty(
    streamArb(2),
    fc.integer({ min: 0, max: 15 }).map(g => 2 * g + 1),
    batchSizeArb,
    async (stream, gap, batchSize) => {
      await check(stream, EventTimeSessionWindows.withGap(gap), directSessions(stream.events, gap), batchSize)
    }
  ), { numRuns: 100 })
})

WindowsProperty('the direct computation of aligned windows agrees with a brute-force scan', () => {
  fc.assert(fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.nat({ max: 19 }),
    (ts, size, slide, rawOffset) => {
      const offset = rawOffset % slide
      const got = alignedWindows(size, slide, offset)(ts)
      const brute: [number, number][] = []
      for (let start = offset - 2_000 * slide; start <= ts; start += slide) if (ts < start + size) brute.push([start, start + size])
      assert.equal(got, brute)
    }))
})

WindowsProperty.run()
