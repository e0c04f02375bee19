// Nexmark q2, selection: auction and price of the bids on every 123rd auction id.
//   meshflow run test/bench/nexmark/q2.ts -- --events 10000000 [--out dir]
import { defineJob, type DataStream } from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q2Out { auction: number, price: number }

const selected = (e: NexmarkEvent): e is Bid => e.kind === 'bid' && e.auction % 123 === 0

export function q2 (events: DataStream<NexmarkEvent>): DataStream<Q2Out> {
  return events.filter(selected).map(b => ({ auction: b.auction, price: b.price }))
}

export function q2Plain (): PlainQuery<Q2Out> {
  return {
    add (event, emit) {
      if (selected(event)) emit({ auction: event.auction, price: event.price })
    },
    finish () {}
  }
}

export default defineJob((env, args) => {
  q2(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q2')
})
