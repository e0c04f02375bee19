// Nexmark q4, average closing price per category: the highest bid made on an auction
// while it was open (auction time <= bid time <= expiry) is its closing price, and each
// category's average closing price is updated whenever one of its auctions closes.
// Auctions and bids meet keyed by auction id; the auction closes at an event-time timer
// at its expiry. A bid can be read before its auction (the two inputs are separate
// channels, and a random bid may name an auction a few ids ahead): it waits, and is
// dropped once the watermark passes its time without the auction (an auction opened at
// or before the bid would have arrived by then). The averages are keyed by category.
//   meshflow run test/bench/nexmark/q4.ts -- --events 10000000 [--out dir]
import {
  defineJob, ListStateDescriptor, ValueStateDescriptor, type DataStream, type KeyedCoProcessFunction,
  type KeyedProcessFunction, type ListState, type ValueState
} from 'meshflow'
import type { Auction, Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q4Closed { auction: number, category: number, final: number }
export interface Q4Out { category: number, average: number }

interface Open { category: number, dateTime: number, expires: number }
interface Early { price: number, dateTime: number }

function closingPrice (): KeyedCoProcessFunction<Auction, Bid, Q4Closed> {
  let auction!: ValueState<Open>
  let max!: ValueState<number>
  let early!: ListState<Early>
  const accept = (a: Open, price: number, dateTime: number): void => {
    if (dateTime >= a.dateTime && dateTime <= a.expires && price > (max.value() ?? -1)) max.update(price)
  }
  return {
    open (ctx) {
      auction = ctx.getState(new ValueStateDescriptor<Open>('auction'))
      max = ctx.getState(new ValueStateDescriptor<number>('max-price'))
      early = ctx.getListState(new ListStateDescriptor<Early>('early-bids'))
    },
    processElement1 (a, ctx) {
      const open = { category: a.category, dateTime: a.dateTime, expires: a.expires }
      auction.update(open)
      const waiting = early.get()
      if (waiting.length > 0) {
        for (const b of waiting) accept(open, b.price, b.dateTime)
        early.clear()
      }
      ctx.timerService.registerEventTimeTimer(a.expires)
    },
    processElement2 (b, ctx) {
      const a = auction.value()
      if (a !== undefined) accept(a, b.price, b.dateTime)
      else {
        early.add({ price: b.price, dateTime: b.dateTime })
        ctx.timerService.registerEventTimeTimer(b.dateTime)
      }
    },
    onTimer (time, ctx, out) {
      const a = auction.value()
      if (a === undefined) {
        const waiting = early.get()
        const kept = waiting.filter(b => b.dateTime > time)
        if (kept.length !== waiting.length) early.update(kept)
        return
      }
      if (time < a.expires) return
      const final = max.value()
      if (final !== undefined) out.collect({ auction: ctx.currentKey as number, category: a.category, final })
      auction.clear()
      max.clear()
    }
  }
}

function averagePerCategory (): KeyedProcessFunction<Q4Closed, Q4Out> {
  let sum!: ValueState<number>
  let count!: ValueState<number>
  return {
    open (ctx) {
      sum = ctx.getState(new ValueStateDescriptor<number>('sum', 0))
      count = ctx.getState(new ValueStateDescriptor<number>('count', 0))
    },
    processElement (c, _ctx, out) {
      const s = sum.value()! + c.final
      const n = count.value()! + 1
      sum.update(s)
      count.update(n)
      out.collect({ category: c.category, average: s / n })
    }
  }
}

export function q4 (events: DataStream<NexmarkEvent>): DataStream<Q4Out> {
  const auctions = events.filter((e): e is Auction => e.kind === 'auction').keyBy(a => a.id)
  const bids = events.filter((e): e is Bid => e.kind === 'bid').keyBy(b => b.auction)
  return auctions.connect(bids).process(() => closingPrice())
    .keyBy(c => c.category)
    .process(() => averagePerCategory())
}

/**
 * The same query over the events in order: every auction's closing price is settled at
 * the end, in order of expiry, so the count of results and each category's last average
 * match the job's (the order of updates within a category may differ at equal expiry).
 */
export function q4Plain (): PlainQuery<Q4Out> {
  const open = new Map<number, Open & { max: number }>()
  const early = new Map<number, Early[]>()
  return {
    add (e, _emit) {
      if (e.kind === 'auction') {
        const a = { category: e.category, dateTime: e.dateTime, expires: e.expires, max: -1 }
        open.set(e.id, a)
        for (const b of early.get(e.id) ?? []) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > a.max) a.max = b.price
        early.delete(e.id)
      } else if (e.kind === 'bid') {
        const a = open.get(e.auction)
        if (a === undefined) {
          const list = early.get(e.auction)
          if (list === undefined) early.set(e.auction, [{ price: e.price, dateTime: e.dateTime }])
          else list.push({ price: e.price, dateTime: e.dateTime })
        } else if (e.dateTime >= a.dateTime && e.dateTime <= a.expires && e.price > a.max) a.max = e.price
      }
    },
    finish (emit) {
      const sums = new Map<number, { sum: number, n: number }>()
      for (const a of [...open.values()].sort((x, y) => x.expires - y.expires)) {
        if (a.max < 0) continue
        const s = sums.get(a.category) ?? { sum: 0, n: 0 }
        s.sum += a.max
        s.n++
        sums.set(a.category, s)
        emit({ category: a.category, average: s.sum / s.n })
      }
    }
  }
}

export default defineJob((env, args) => {
  q4(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q4')
})
