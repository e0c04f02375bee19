// Nexmark q0, pass-through: every bid, unchanged (measures the source and the framework).
//   meshflow run test/bench/nexmark/q0.ts -- --events 10000000 [--out dir]
import { defineJob, type DataStream } from 'meshflow'
import type { Bid, NexmarkEvent } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export function q0 (events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events.filter((e): e is Bid => e.kind === 'bid')
}

/** The same query over events in order, in plain JS. */
export function q0Plain (): PlainQuery<Bid> {
  return {
    add (event, emit) {
      if (event.kind === 'bid') emit(event)
    },
    finish () {}
  }
}

export default defineJob((env, args) => {
  q0(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q0')
})
