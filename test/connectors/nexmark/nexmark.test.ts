import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import { readAll } from '../source-readers.ts'
import * as assert from 'uvu/assert'
import type { SourceReader } from 'meshflow'
import { nexmark, NexmarkGenerator, FIRST_AUCTION_ID, type NexmarkEvent, type NexmarkSplit, type Bid, type Auction } from 'meshflow/connectors/nexmark'

const test = suite('nexmark')

function readerOf (source: ReturnType<typeof nexmark>, splits: NexmarkSplit[]): SourceReader<NexmarkEvent, NexmarkSplit> {
  const r = source.createReader({ subtaskIndex: 0, parallelism: 1, signal: new AbortController().signal, output: () => {} })
  r.addSplits(splits)
  return r
}

const key = (e: NexmarkEvent): string => JSON.stringify(e)

test('NexmarkGenerator gives the same event for the same index, from any instance and in any order', () => {
  const a = new NexmarkGenerator()
  const b = new NexmarkGenerator()
  const forward = Array.from({ length: 2_000 }, (_, i) => key(a.event(i)))
  for (let i = 1_999; i >= 0; i--) assert.is(key(b.event(i)), forward[i], `event ${i}`)
  const other = new NexmarkGenerator({ seed: 7 })
  assert.ok(forward.some((k, i) => k !== key(other.event(i))), 'another seed gives other events')
})

/** SHA-256 of the JSON of the events in `ranges` (from, count). */
function digest (options: object, ranges: ReadonlyArray<readonly [number, number]>): string {
  const g = new NexmarkGenerator(options)
  const h = createHash('sha256')
  for (const [from, n] of ranges) for (let i = from; i < from + n; i++) h.update(JSON.stringify(g.event(i)))
  return h.digest('hex')
}

test('NexmarkGenerator keeps generating the events the Java port in test/bench/flink reproduces (digests taken from the first version)', () => {
  assert.is(digest({}, [[0, 50_000], [5_000_000_000, 2000]]), '8336d96389c829754e285bd01936ddae83b01fa3e7830c0023b27802c7a45eea')
  assert.is(digest({
    seed: 7, firstEventId: 123_456_789, personProportion: 3, auctionProportion: 5, bidProportion: 2,
    avgBidByteSize: 40, avgPersonByteSize: 20, hotAuctionRatio: 1, hotBiddersRatio: 1
  }, [[0, 20_000]]), 'f8473779cbb9db41ada942415ee0583d82f544de390e17b75e4dcbc0899be308')
})

test('nexmark: the events are the same at any parallelism (splits by stride)', async () => {
  const g = new NexmarkGenerator()
  const want = Array.from({ length: 3_000 }, (_, i) => key(g.event(i))).sort()
  for (const parallelism of [1, 2, 5]) {
    const source = nexmark({ events: 3_000 })
    const splits = await source.createSplits(parallelism)
    const got: NexmarkEvent[] = []
    for (const s of splits) got.push(...await readAll(readerOf(source, [s]), 97))
    assert.equal(got.map(key).sort(), want, `parallelism ${parallelism}`)
  }
})

test('nexmark: a reader restored from a snapshot replays exactly the rest', async () => {
  const g = new NexmarkGenerator()
  const source = nexmark({ events: 5_000 })
  const splits = await source.createSplits(3)
  const first = readerOf(source, splits)
  const before = await readAll(first, 64, 2_345)
  const snapshot = JSON.parse(JSON.stringify(first.snapshotSplits())) as NexmarkSplit[]
  // a new source object, as a restarted job builds it, given the checkpointed splits
  const after = await readAll(readerOf(nexmark({ events: 5_000 }), snapshot), 97)
  assert.is(before.length + after.length, 5_000)
  assert.equal([...before, ...after].map(key).sort(), Array.from({ length: 5_000 }, (_, i) => key(g.event(i))).sort())
})

test('NexmarkGenerator makes persons, auctions and bids in the proportions 1 : 3 : 46 (from any first event id)', () => {
  for (const firstEventId of [0, 17]) {
    const g = new NexmarkGenerator({ firstEventId })
    const counts = { person: 0, auction: 0, bid: 0 }
    for (let i = 0; i < 50_000; i++) {
      const e = g.event(i)
      assert.is(e.kind, g.kindOf(i))
      counts[e.kind]++
    }
    assert.equal(counts, { person: 1_000, auction: 3_000, bid: 46_000 })
  }
  const window = { person: 0, auction: 0, bid: 0 }
  const g = new NexmarkGenerator()
  for (let i = 123; i < 123 + 500; i++) window[g.kindOf(i)]++
  assert.equal(window, { person: 10, auction: 30, bid: 460 })
})

test('NexmarkGenerator numbers persons and auctions consecutively', () => {
  const g = new NexmarkGenerator()
  const persons: number[] = []
  const auctions: number[] = []
  for (let i = 0; i < 5_000; i++) {
    const e = g.event(i)
    if (e.kind === 'person') persons.push(e.id)
    else if (e.kind === 'auction') auctions.push(e.id)
  }
  assert.equal(persons, Array.from({ length: 100 }, (_, k) => 1_000 + k))
  assert.equal(auctions, Array.from({ length: 300 }, (_, k) => FIRST_AUCTION_ID + k))
})

test('NexmarkGenerator stamps events at the configured events per second', () => {
  for (const eventsPerSecond of [10_000, 1_000, 333]) {
    const g = new NexmarkGenerator({ eventsPerSecond, baseTime: 1_700_000_000_000 })
    let last = -Infinity
    for (let i = 0; i < 20_000; i++) {
      const ts = g.event(i).dateTime
      assert.ok(ts >= last, 'timestamps never decrease')
      assert.is(ts, g.timestampOf(i))
      last = ts
    }
    assert.is(g.timestampOf(0), 1_700_000_000_000)
    // one second of event time every eventsPerSecond events
    assert.is(g.timestampOf(eventsPerSecond * 3) - g.timestampOf(0), 3_000, `${eventsPerSecond}/s`)
    assert.is(g.timestampOf(eventsPerSecond * 7 + 5) - g.timestampOf(eventsPerSecond * 2 + 5), 5_000)
  }
})

test('NexmarkGenerator skews bids to hot auctions and bidders, and auctions to hot sellers', () => {
  const g = new NexmarkGenerator()
  let bids = 0
  let hotAuction = 0
  let hotBidder = 0
  let auctions = 0
  let hotSeller = 0
  const perAuction = new Map<number, number>()
  for (let i = 0; i < 100_000; i++) {
    const e = g.event(i)
    const lastAuction = g.lastBase0AuctionId(i)
    const lastPerson = g.lastBase0PersonId(i)
    if (e.kind === 'bid') {
      bids++
      perAuction.set(e.auction, (perAuction.get(e.auction) ?? 0) + 1)
      if (e.auction - FIRST_AUCTION_ID === Math.floor(lastAuction / 100) * 100) hotAuction++
      if (e.bidder - 1_000 === Math.floor(lastPerson / 100) * 100 + 1) hotBidder++
    } else if (e.kind === 'auction') {
      auctions++
      if (e.seller - 1_000 === Math.floor(lastPerson / 100) * 100) hotSeller++
    }
  }
  // hot ratios 2, 4, 4: at least 1/2, 3/4, 3/4 (a random pick may also land on the hot one)
  assert.ok(hotAuction / bids > 0.49 && hotAuction / bids < 0.56, `hot auction share ${hotAuction / bids}`)
  assert.ok(hotBidder / bids > 0.74 && hotBidder / bids < 0.78, `hot bidder share ${hotBidder / bids}`)
  assert.ok(hotSeller / auctions > 0.73 && hotSeller / auctions < 0.79, `hot seller share ${hotSeller / auctions}`)
  // the busiest auction gets far more bids than an average one
  const counts = [...perAuction.values()].sort((a, b) => b - a)
  assert.ok(counts[0]! > 20 * (bids / counts.length), `top auction ${counts[0]} of ${bids} bids over ${counts.length} auctions`)
})

test('NexmarkGenerator gives fields the reference shapes and average sizes', () => {
  const g = new NexmarkGenerator()
  let bidExtra = 0
  let bids = 0
  let auctionSize = 0
  let auctions = 0
  for (let i = 0; i < 50_000; i++) {
    const e = g.event(i)
    if (e.kind === 'bid') {
      bids++
      bidExtra += e.extra.length
      assert.ok(e.price >= 100 && e.price <= 100_000_000 && Number.isInteger(e.price))
      assert.match(e.url, /^https:\/\/www\.nexmark\.com\/[a-z_]+\/[a-z_]+\/[a-z_]+\/item\.htm\?query=1/)
    } else if (e.kind === 'auction') {
      auctions++
      const a: Auction = e
      auctionSize += 8 + a.itemName.length + a.description.length + 40 + a.extra.length
      assert.ok(a.itemName.length <= 19 && a.description.length <= 99)
      assert.ok(a.category >= 10 && a.category < 15)
      assert.ok(a.expires > a.dateTime && a.reserve >= a.initialBid)
    } else {
      assert.match(e.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/)
      assert.match(e.emailAddress, /^[a-z ]*@[a-z ]*\.com$/)
      assert.ok(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'].includes(e.state))
    }
  }
  // a bid is padded to 100 bytes on average (32 of them fixed), an auction to 500
  assert.ok(Math.abs(bidExtra / bids - 68) < 2, `bid extra ${bidExtra / bids}`)
  assert.ok(Math.abs(auctionSize / auctions - 500) < 10, `auction size ${auctionSize / auctions}`)
})

test('nexmark rejects options it cannot honour, naming them', () => {
  assert.throws(() => nexmark({ events: -1 }), /events/)
  assert.throws(() => nexmark({ hotAuctionRatio: 0 }), /hotAuctionRatio/)
  assert.throws(() => nexmark({ eventsPerSecond: 0 }), /eventsPerSecond/)
  assert.throws(() => new NexmarkGenerator({ seed: 1.5 }), /seed/)
})

test('a bid is a plain record of numbers and strings (no prototype, JSON round-trips)', () => {
  const g = new NexmarkGenerator()
  const b = g.event(49) as Bid
  assert.equal(JSON.parse(JSON.stringify(b)), b)
  assert.is(Object.getPrototypeOf(b), Object.prototype)
})

test.run()
