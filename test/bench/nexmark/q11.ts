// Nexmark q11, user sessions: how many bids each bidder made in each of their sessions —
// a session window per bidder that closes after 10 s without a bid (sessions merge when
// they touch, as Flink's), emitting the bidder, the count and the session's bounds.
//   meshflow run test/bench/nexmark/q11.ts -- --events 10000000 [--out dir]
import { defineJob, EventTimeSessionWindows, type DataStream } from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q11Out { bidder: number, count: number, start: number, end: number }

export const Q11_GAP_MS = 10_000

/** The job: a session window per bidder counting its bids. */
export function q11 (events: DataStream<NexmarkEvent>): DataStream<Q11Out> {
  return events.filter((e): e is Bid => e.kind === 'bid')
    .keyBy(b => b.bidder)
    .window(EventTimeSessionWindows.withGap(Q11_GAP_MS))
    .aggregate(
      { createAccumulator: () => 0, add: (_b: Bid, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
      (bidder, w, count): Q11Out => ({ bidder: bidder as number, count, start: w.start, end: w.end })
    )
}

/** The same query over events in order: each bidder's open session, emitted when the next starts. */
export function q11Plain (): PlainQuery<Q11Out> {
  // bidder -> open session; bids come in time order, so only the latest session can grow
  const open = new Map<number, Q11Out>()
  return {
    add (e, emit) {
      if (e.kind !== 'bid') return
      const s = open.get(e.bidder)
      if (s !== undefined && e.dateTime <= s.end) {
        s.count++
        s.end = Math.max(s.end, e.dateTime + Q11_GAP_MS)
        return
      }
      if (s !== undefined) emit(s)
      open.set(e.bidder, { bidder: e.bidder, count: 1, start: e.dateTime, end: e.dateTime + Q11_GAP_MS })
    },
    finish (emit) {
      for (const s of open.values()) emit(s)
    }
  }
}

export default defineJob((env, args) => {
  q11(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q11')
})
