// Nexmark q5, hot items: the auctions with the most bids in each sliding window of 10 s
// every 2 s — a keyed sliding-window count per auction, then the maximum of each window
// over all auctions (keyed by the window's end, in a tumbling window of the slide that
// holds exactly the counts of one sliding window, which carry the timestamp end - 1).
//   meshflow run test/bench/nexmark/q5.ts -- --events 10000000 [--out dir]
import { defineJob, SlidingEventTimeWindows, TumblingEventTimeWindows, type DataStream } from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q5Out { auction: number, num: number, start: number, end: number }

export const Q5_SIZE_MS = 10_000
export const Q5_SLIDE_MS = 2_000

export function q5 (events: DataStream<NexmarkEvent>): DataStream<Q5Out> {
  return events.filter((e): e is Bid => e.kind === 'bid')
    .keyBy(b => b.auction)
    .window(SlidingEventTimeWindows.of(Q5_SIZE_MS, Q5_SLIDE_MS))
    .aggregate(
      { createAccumulator: () => 0, add: (_b: Bid, n: number) => n + 1, getResult: (n: number) => n },
      (auction, w, num): Q5Out => ({ auction: auction as number, num, start: w.start, end: w.end })
    )
    .keyBy(c => c.end)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS))
    .process<Q5Out>((_end, _w, counts, out) => {
      let max = 0
      for (const c of counts) if (c.num > max) max = c.num
      for (const c of counts) if (c.num >= max) out.collect(c)
    })
}

export function q5Plain (): PlainQuery<Q5Out> {
  // window start -> auction -> count; windows close in order as event time advances
  const windows = new Map<number, Map<number, number>>()
  const close = (start: number, emit: (out: Q5Out) => void): void => {
    const counts = windows.get(start)!
    windows.delete(start)
    let max = 0
    for (const n of counts.values()) if (n > max) max = n
    for (const [auction, num] of counts) if (num >= max) emit({ auction, num, start, end: start + Q5_SIZE_MS })
  }
  return {
    add (e, emit) {
      if (e.kind !== 'bid') return
      const ts = e.dateTime
      for (const start of windows.keys()) if (start + Q5_SIZE_MS <= ts) close(start, emit)
      const last = ts - (((ts % Q5_SLIDE_MS) + Q5_SLIDE_MS) % Q5_SLIDE_MS)
      for (let start = last; start > ts - Q5_SIZE_MS; start -= Q5_SLIDE_MS) {
        let counts = windows.get(start)
        if (counts === undefined) { counts = new Map(); windows.set(start, counts) }
        counts.set(e.auction, (counts.get(e.auction) ?? 0) + 1)
      }
    },
    finish (emit) {
      for (const start of [...windows.keys()].sort((a, b) => a - b)) close(start, emit)
    }
  }
}

export default defineJob((env, args) => {
  q5(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q5')
})
