// Nexmark q3, local item suggestion: who sells in category 10 from Oregon, Idaho or
// California — an unbounded inner join of persons and auctions on seller = id, both keyed
// by the person id, holding the person and the auctions still waiting for their seller
// (a random seller may be a few ids ahead of the last person generated).
//   meshflow run test/bench/nexmark/q3.ts -- --events 10000000 [--out dir]
import {
  defineJob, ListStateDescriptor, ValueStateDescriptor, type DataStream, type KeyedCoProcessFunction,
  type ListState, type ValueState
} from 'meshflow'
import type { Auction, NexmarkEvent, Person } from 'meshflow/connectors/nexmark'
import { jobSink, nexmarkOptions, nexmarkStream, type PlainQuery } from './common.ts'

export interface Q3Out { name: string, city: string, state: string, id: number }

const STATES = new Set(['OR', 'ID', 'CA'])
const isSeller = (e: NexmarkEvent): e is Person => e.kind === 'person' && STATES.has(e.state)
const isAuction = (e: NexmarkEvent): e is Auction => e.kind === 'auction' && e.category === 10
const joined = (p: Person, auctionId: number): Q3Out => ({ name: p.name, city: p.city, state: p.state, id: auctionId })

function joinFunction (): KeyedCoProcessFunction<Auction, Person, Q3Out> {
  let person!: ValueState<Person>
  let waiting!: ListState<number>
  return {
    open (ctx) {
      person = ctx.getState(new ValueStateDescriptor<Person>('person'))
      waiting = ctx.getListState(new ListStateDescriptor<number>('waiting-auctions'))
    },
    processElement1 (a, _ctx, out) {
      const p = person.value()
      if (p !== undefined) out.collect(joined(p, a.id))
      else waiting.add(a.id)
    },
    processElement2 (p, _ctx, out) {
      person.update(p)
      const ids = waiting.get()
      if (ids.length > 0) {
        for (const id of ids) out.collect(joined(p, id))
        waiting.clear()
      }
    }
  }
}

export function q3 (events: DataStream<NexmarkEvent>): DataStream<Q3Out> {
  const auctions = events.filter(isAuction).keyBy(a => a.seller)
  const persons = events.filter(isSeller).keyBy(p => p.id)
  // a factory: each subtask gets its own function (and state handles)
  return auctions.connect(persons).process(() => joinFunction())
}

export function q3Plain (): PlainQuery<Q3Out> {
  const persons = new Map<number, Person>()
  const waiting = new Map<number, number[]>()
  return {
    add (e, emit) {
      if (isAuction(e)) {
        const p = persons.get(e.seller)
        if (p !== undefined) emit(joined(p, e.id))
        else {
          const list = waiting.get(e.seller)
          if (list === undefined) waiting.set(e.seller, [e.id])
          else list.push(e.id)
        }
      } else if (isSeller(e)) {
        persons.set(e.id, e)
        const list = waiting.get(e.id)
        if (list !== undefined) {
          for (const id of list) emit(joined(e, id))
          waiting.delete(e.id)
        }
      }
    },
    finish () {}
  }
}

export default defineJob((env, args) => {
  q3(nexmarkStream(env, nexmarkOptions(args))).sinkTo(jobSink(args), 'q3')
})
