// Nexmark q8, monitor new users: the persons who opened an auction in the same tumbling
// window of 10 s in which they registered — persons and auctions joined on id = seller per
// window, one result per person and window as the reference's grouped join. Both sides
// meet in one keyed window (by person id) whose accumulator holds the person's name and
// whether an auction was seen.
//   meshflow run test/bench/nexmark/q8.ts -- --events 10000000 [--out dir]
import { defineJob, TumblingEventTimeWindows, type AggregateFunction, type DataStream } from 'meshflow'
import type { Auction, NexmarkEvent, Person } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, windowEnd, type PlainQuery } from './common.ts'

export interface Q8Out { id: number, name: string, start: number }
/** A person (with a name) or an auction of seller `id` (name null). */
interface Q8In { id: number, name: string | null }
interface Seen { name: string | null, auction: boolean }

export const Q8_WINDOW_MS = 10_000

const seen: AggregateFunction<Q8In, Seen, Seen> = {
  createAccumulator: () => ({ name: null, auction: false }),
  add (v, acc) {
    if (v.name !== null) acc.name = v.name
    else acc.auction = true
    return acc
  },
  getResult: acc => acc,
  merge: (a, b) => ({ name: a.name ?? b.name, auction: a.auction || b.auction })
}

/** The job: persons and sellers in one keyed tumbling window per person id. */
export function q8 (events: DataStream<NexmarkEvent>): DataStream<Q8Out> {
  const persons = events.filter((e): e is Person => e.kind === 'person').map((p): Q8In => ({ id: p.id, name: p.name }))
  const sellers = events.filter((e): e is Auction => e.kind === 'auction').map((a): Q8In => ({ id: a.seller, name: null }))
  return persons.union(sellers)
    .keyBy(v => v.id)
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .aggregate(seen, (id, w, s): Q8Out | null => s.name !== null && s.auction ? { id: id as number, name: s.name, start: w.start } : null)
    .filter((o): o is Q8Out => o !== null)
}

/** The same query over events in order: one map of person ids per window. */
export function q8Plain (): PlainQuery<Q8Out> {
  let end = -Infinity
  let window = new Map<number, Seen>()
  const close = (emit: (out: Q8Out) => void): void => {
    for (const [id, s] of window) if (s.name !== null && s.auction) emit({ id, name: s.name, start: end - Q8_WINDOW_MS })
    window = new Map()
  }
  const entry = (id: number): Seen => {
    let s = window.get(id)
    if (s === undefined) window.set(id, s = { name: null, auction: false })
    return s
  }
  return {
    add (e, emit) {
      if (e.kind === 'bid') return
      if (e.dateTime >= end) {
        close(emit)
        end = windowEnd(e.dateTime, Q8_WINDOW_MS)
      }
      if (e.kind === 'person') entry(e.id).name = e.name
      else entry(e.seller).auction = true
    },
    finish (emit) { close(emit) }
  }
}

export default defineJob((env, args) => {
  q8(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q8')
})
