// Nexmark q7, highest bid: the bids of each tumbling window of 10 s whose price is the
// window's highest. As the reference (a window aggregate, then a join back on price), the
// window's maximum is computed first — per auction, then over the auctions of the window —
// and joined with the bids keyed by price: a bid waits in the join until the watermark
// reaches its window's last millisecond, when the window's maximum (stamped end - 1) has
// arrived too. Windows are half-open, [start, end): the reference's BETWEEN also lets a bid
// at exactly `end` match the window before it.
//   meshflow run test/bench/nexmark/q7.ts -- --events 10000000 [--out dir]
import {
  defineJob, ListStateDescriptor, TumblingEventTimeWindows, type DataStream, type KeyedCoProcessFunction,
  type ListState
} from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, windowEnd, type PlainQuery } from './common.ts'

export interface Q7Out { auction: number, price: number, bidder: number, dateTime: number, extra: string }
/** The highest price of the window ending at `end`. */
export interface Q7Max { end: number, price: number }

export const Q7_WINDOW_MS = 10_000

const isBid = (e: NexmarkEvent): e is Bid => e.kind === 'bid'
const project = (b: Bid): Q7Out => ({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra })
const maxPrice = {
  createAccumulator: () => 0,
  add: (b: Bid, max: number) => b.price > max ? b.price : max,
  getResult: (max: number) => max
}

/** Keyed by price: holds the bids at that price until their window closes, and emits them if it was the window's highest. */
function joinHighest (): KeyedCoProcessFunction<Bid, Q7Max, Q7Out> {
  let bids!: ListState<Q7Out>
  let maxOf!: ListState<number>
  return {
    open (ctx) {
      bids = ctx.getListState(new ListStateDescriptor<Q7Out>('bids'))
      maxOf = ctx.getListState(new ListStateDescriptor<number>('max-of-windows'))
    },
    processElement1 (b, ctx) {
      bids.add(project(b))
      ctx.timerService.registerEventTimeTimer(windowEnd(b.dateTime, Q7_WINDOW_MS) - 1)
    },
    processElement2 (m) {
      maxOf.add(m.end)
    },
    onTimer (time, _ctx, out) {
      const end = time + 1
      const ends = maxOf.get()
      const highest = ends.includes(end)
      if (highest) {
        if (ends.length === 1) maxOf.clear()
        else maxOf.update(ends.filter(e => e !== end))
      }
      const held = bids.get()
      const later: Q7Out[] = []
      for (const b of held) {
        if (windowEnd(b.dateTime, Q7_WINDOW_MS) !== end) later.push(b)
        else if (highest) out.collect(b)
      }
      if (later.length === 0) bids.clear()
      else if (later.length !== held.length) bids.update(later)
    }
  }
}

/** The job: bids, the window maxima, and their join on price. */
export function q7 (events: DataStream<NexmarkEvent>): DataStream<Q7Out> {
  const bids = events.filter(isBid)
  const maxes = bids.keyBy(b => b.auction)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate(maxPrice, (_auction, w, price): Q7Max => ({ end: w.end, price }))
    .keyBy(m => m.end)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .reduce((a, b) => a.price >= b.price ? a : b)
  return bids.keyBy(b => b.price).connect(maxes.keyBy(m => m.price)).process(() => joinHighest())
}

/** The same query over events in order: each window's bids, held until the next window starts. */
export function q7Plain (): PlainQuery<Q7Out> {
  let end = -Infinity
  let max = -1
  let held: Bid[] = []
  const close = (emit: (out: Q7Out) => void): void => {
    for (const b of held) if (b.price === max) emit(project(b))
    held = []
    max = -1
  }
  return {
    add (e, emit) {
      if (e.kind !== 'bid') return
      if (e.dateTime >= end) {
        close(emit)
        end = windowEnd(e.dateTime, Q7_WINDOW_MS)
      }
      held.push(e)
      if (e.price > max) max = e.price
    },
    finish (emit) { close(emit) }
  }
}

export default defineJob((env, args) => {
  q7(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q7')
})
