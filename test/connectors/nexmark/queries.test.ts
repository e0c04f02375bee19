import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from 'meshflow'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'
import { nexmarkStream } from '../../bench/nexmark/common.ts'
import { q3Plain } from '../../bench/nexmark/q3.ts'
import { q5Plain } from '../../bench/nexmark/q5.ts'
import { q7, q7Plain, type Q7Out } from '../../bench/nexmark/q7.ts'
import { q8Plain, type Q8Out } from '../../bench/nexmark/q8.ts'
import { q11Plain, type Q11Out } from '../../bench/nexmark/q11.ts'
import type { Bid } from 'meshflow/connectors/nexmark'
import { canonical, queries, type NexmarkQuery as Query } from '../../bench/nexmark/queries.ts'
import { checksums, stringHash } from '../../bench/nexmark/flink.ts'
import { engine as benchRun } from '../../bench/nexmark/meshflow-run.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Peer } from '../../../node/cluster/peer.ts'

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
  for (const parallelism of [1, 2, 3]) {
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

test('the bench job\'s checksums agree at parallelism 1 and 2 on task threads for every query (the harness compares them with Flink)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-nexmark-test-'))
  const peer = await Peer.start({ dataDir: dir, embedded: true, threads: 2 })
  try {
    await peer.mark('test')
    for (const query of queries) {
      const one = await benchRun(peer, query, 50_000, 1)
      const two = await benchRun(peer, query, 50_000, 2)
      assert.ok(one.count > 0, `${query.name} has output`)
      assert.is(two.count, one.count, `${query.name} count`)
      assert.is(two.checksum, one.checksum, `${query.name} checksum`)
    }
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the q4 checksum counts each category once with its last average, whatever the order of other updates', () => {
  const run = (records: Array<{ category: number, average: number }>): number => {
    const c = checksums.q4!()
    for (const r of records) c.add(r)
    return c.value()
  }
  const a = run([{ category: 10, average: 5 }, { category: 11, average: 2 }, { category: 10, average: 6.5 }])
  assert.is(run([{ category: 11, average: 2 }, { category: 10, average: 8 }, { category: 10, average: 6.5 }]), a)
  assert.is.not(run([{ category: 10, average: 6.5 }, { category: 11, average: 2 }, { category: 10, average: 5 }]), a)
  assert.is(a, (10 + 11 + 10 + 7 * 6500 + 7 * 2000) % 1_000_000_007)
})

test('stringHash is the Java side\'s (31 h + char) mod 1,000,000,007', () => {
  assert.is(stringHash('OR'), 79 * 31 + 82)
  assert.is(stringHash(''), 0)
  let h = 0
  for (const ch of 'Walter Noris Kent') h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_007
  assert.is(stringHash('Walter Noris Kent'), h)
})

test('q7 emits the highest bids of every window, at parallelism 2 as in plain JS', async () => {
  // 60 s of event time: six windows of 10 s
  const events = 60_000
  const g = new NexmarkGenerator({ eventsPerSecond: 1_000 })
  const highest = new Map<number, number>()
  for (let i = 0; i < events; i++) {
    const e = g.event(i)
    if (e.kind !== 'bid') continue
    const start = e.dateTime - e.dateTime % 10_000
    highest.set(start, Math.max(highest.get(start) ?? 0, e.price))
  }
  const out: Q7Out[] = []
  const q = q7Plain()
  for (let i = 0; i < events; i++) q.add(g.event(i), o => out.push(o))
  q.finish(o => out.push(o))
  assert.equal([...new Set(out.map(o => o.dateTime - o.dateTime % 10_000))].sort((a, b) => a - b), [0, 10_000, 20_000, 30_000, 40_000, 50_000])
  for (const o of out) assert.is(o.price, highest.get(o.dateTime - o.dateTime % 10_000))
  const env = StreamEnvironment.create({ parallelism: 2 })
  const got = q7(nexmarkStream(env, { events, eventsPerSecond: 1_000 })).collect()
  await env.execute('nexmark-q7')
  assert.equal(canonical(got.values), canonical(out))
})

test('q8 emits the persons who opened an auction in the window they registered in', () => {
  const g = new NexmarkGenerator({ eventsPerSecond: 1_000 })
  const registered = new Map<number, number>()
  const sold = new Set<string>()
  const out: Q8Out[] = []
  const q = q8Plain()
  for (let i = 0; i < EVENTS; i++) {
    const e = g.event(i)
    if (e.kind === 'person') registered.set(e.id, e.dateTime - e.dateTime % 10_000)
    if (e.kind === 'auction') sold.add(`${e.seller}@${e.dateTime - e.dateTime % 10_000}`)
    q.add(e, o => out.push(o))
  }
  q.finish(o => out.push(o))
  const want = [...registered].filter(([id, start]) => sold.has(`${id}@${start}`)).map(([id, start]) => `${id}@${start}`).sort()
  assert.ok(want.length > 0)
  assert.equal(out.map(o => `${o.id}@${o.start}`).sort(), want)
})

test('q11 sessions count every bid once and never touch', () => {
  // 60 s of event time: bidders who stop for more than 10 s start a new session
  const g = new NexmarkGenerator({ eventsPerSecond: 1_000 })
  const out: Q11Out[] = []
  const bids: Bid[] = []
  const q = q11Plain()
  for (let i = 0; i < 60_000; i++) {
    const e = g.event(i)
    if (e.kind === 'bid') bids.push(e)
    q.add(e, o => out.push(o))
  }
  q.finish(o => out.push(o))
  assert.is(out.reduce((n, s) => n + s.count, 0), bids.length)
  const byBidder = new Map<number, Q11Out[]>()
  for (const s of out) byBidder.set(s.bidder, [...(byBidder.get(s.bidder) ?? []), s])
  assert.ok([...byBidder.values()].some(list => list.length > 1), 'some bidder has more than one session')
  for (const list of byBidder.values()) {
    list.sort((a, b) => a.start - b.start)
    for (let i = 1; i < list.length; i++) assert.ok(list[i]!.start > list[i - 1]!.end, 'sessions of one bidder are more than the gap apart')
  }
  for (const b of bids) assert.ok(byBidder.get(b.bidder)!.some(s => s.start <= b.dateTime && b.dateTime < s.end), 'every bid lies in a session of its bidder')
})

test.run()
