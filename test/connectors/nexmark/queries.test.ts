import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from 'meshflow'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'
import { nexmarkStream } from '../../bench/nexmark/common.ts'
import { q3Plain } from '../../bench/nexmark/q3.ts'
import { q5Plain } from '../../bench/nexmark/q5.ts'
import { canonical, queries, type NexmarkQuery as Query } from '../../bench/nexmark/queries.ts'

const test = suite('nexmark queries')
const EVENTS = 20_000


function plain (query: Query, events: number, options: { eventsPerSecond?: number }): string[] {
  const g = new NexmarkGenerator(options)
  const out: unknown[] = []
  const emit = (v: unknown): void => { out.push(v) }
  const q = query.plain()
  for (let i = 0; i < events; i++) q.add(g.event(i), emit)
  q.finish(emit)
  return (query.canonical ?? canonical)(out)
}

async function engine (query: Query, events: number, parallelism: number, options: { eventsPerSecond?: number }): Promise<string[]> {
  const env = StreamEnvironment.create({ parallelism })
  const out = query.job(nexmarkStream(env, { events, ...options })).collect()
  await env.execute(`nexmark-${query.name}`)
  return (query.canonical ?? canonical)(out.values)
}

for (const query of queries) {
  for (const parallelism of [1, 3]) {
    test(`${query.name} gives the plain-JS result over ${EVENTS} events at parallelism ${parallelism}`, async () => {
      // 1,000 events a second: 20 s of event time, so q5 closes several windows
      const options = { eventsPerSecond: 1_000 }
      const want = plain(query, EVENTS, options)
      assert.ok(want.length > 0, `${query.name} has output to compare`)
      const got = await engine(query, EVENTS, parallelism, options)
      assert.is(got.length, want.length)
      assert.equal(got, want)
    })
  }
}

test('q3 joins auctions whose seller was not generated yet (the join holds both sides)', () => {
  const g = new NexmarkGenerator()
  const q = q3Plain()
  let early = 0
  const seen = new Set<number>()
  for (let i = 0; i < 200_000; i++) {
    const e = g.event(i)
    if (e.kind === 'person') seen.add(e.id)
    if (e.kind === 'auction' && e.category === 10 && !seen.has(e.seller)) early++
    q.add(e, () => {})
  }
  assert.ok(early > 0, 'some auctions name a seller ahead of the last person')
})

test('q5 emits a winner for every sliding window of the run', () => {
  const g = new NexmarkGenerator({ eventsPerSecond: 1_000 })
  const q = q5Plain()
  const starts = new Set<number>()
  for (let i = 0; i < EVENTS; i++) q.add(g.event(i), o => { starts.add(o.start) })
  q.finish(o => { starts.add(o.start) })
  // 20 s of bids, windows of 10 s every 2 s: starts from -8 s to 18 s
  assert.equal([...starts].sort((a, b) => a - b), Array.from({ length: 14 }, (_, k) => -8_000 + 2_000 * k))
})

test.run()
