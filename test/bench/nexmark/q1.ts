// Nexmark q1, currency conversion: every bid with its price in euros (0.908 a dollar).
//   meshflow run test/bench/nexmark/q1.ts -- --events 10000000 [--out dir]
import { defineJob, type DataStream } from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q1Out { auction: number, bidder: number, price: number, dateTime: number, extra: string }

const euros = (b: Bid): Q1Out => ({ auction: b.auction, bidder: b.bidder, price: b.price * 908 / 1000, dateTime: b.dateTime, extra: b.extra })

export function q1 (events: DataStream<NexmarkEvent>): DataStream<Q1Out> {
  return events.filter((e): e is Bid => e.kind === 'bid').map(euros)
}

export function q1Plain (): PlainQuery<Q1Out> {
  return {
    add (event, emit) {
      if (event.kind === 'bid') emit(euros(event))
    },
    finish () {}
  }
}

export default defineJob((env, args) => {
  q1(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q1')
})
