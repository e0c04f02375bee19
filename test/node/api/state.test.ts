/**
 * Keyed state as a job author uses it: descriptors turned into state objects in `open`,
 * each scoped to the key of the element (or timer) being processed, with optional TTL in
 * processing time.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor,
  StreamEnvironment, ValueStateDescriptor, WatermarkStrategy,
  type AggregatingState, type KeyedProcessFunction, type ListState, type MapState, type ReducingState,
  type ValueState
} from 'meshflow'
import { deferred, listSource, sorted, waitFor } from '../support.ts'

const StateSuite = suite('keyed state')

interface Ev { user: string, item: string, price: number }

StateSuite('value, list, map, reducing and aggregating state are kept per key', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  interface Fn extends KeyedProcessFunction<Ev, string> {
    count?: ValueState<number>
    items?: ListState<string>
    perItem?: MapState<string, number>
    max?: ReducingState<number>
    avg?: AggregatingState<number, number>
  }
  const fn: Fn = {
    open (ctx) {
      this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0))
      this.items = ctx.getListState(new ListStateDescriptor<string>('items'))
      this.perItem = ctx.getMapState(new MapStateDescriptor<string, number>('per-item'))
      this.max = ctx.getReducingState(new ReducingStateDescriptor<number>('max', (a, b) => Math.max(a, b)))
      this.avg = ctx.getAggregatingState(new AggregatingStateDescriptor<number, { s: number, n: number }, number>('avg', {
        createAccumulator: () => ({ s: 0, n: 0 }),
        add: (v, acc) => ({ s: acc.s + v, n: acc.n + 1 }),
        getResult: acc => acc.s / acc.n
      }))
    },
    processElement (e, ctx, out) {
      this.count!.update(this.count!.value()! + 1)
      this.items!.add(e.item)
      this.perItem!.put(e.item, (this.perItem!.get(e.item) ?? 0) + 1)
      this.max!.add(e.price)
      this.avg!.add(e.price)
      out.collect(`${String(ctx.currentKey)} n=${this.count!.value()} items=${this.items!.get().join(',')} ` +
        `per=${[...this.perItem!.entries()].map(([k, v]) => `${k}:${v}`).join(',')} max=${this.max!.get()} avg=${this.avg!.get()}`)
    }
  }
  const events: Ev[] = [
    { user: 'ann', item: 'tea', price: 4 },
    { user: 'bob', item: 'pen', price: 2 },
    { user: 'ann', item: 'cup', price: 10 },
    { user: 'ann', item: 'tea', price: 1 },
    { user: 'bob', item: 'ink', price: 6 }
  ]
  const out = await env.fromCollection(events).keyBy(e => e.user).process(fn).executeAndCollect()
  assert.equal(out.filter(l => l.startsWith('ann')), [
    'ann n=1 items=tea per=tea:1 max=4 avg=4',
    'ann n=2 items=tea,cup per=tea:1,cup:1 max=10 avg=7',
    'ann n=3 items=tea,cup,tea per=tea:2,cup:1 max=10 avg=5'
  ])
  assert.equal(out.filter(l => l.startsWith('bob')), [
    'bob n=1 items=pen per=pen:1 max=2 avg=2',
    'bob n=2 items=pen,ink per=pen:1,ink:1 max=6 avg=4'
  ])
})

StateSuite('state set in processElement is visible to the same key in onTimer, and cleared there', async () => {
  const env = StreamEnvironment.create({ parallelism: 3, batchSize: 1 })
  interface Click { user: string, ts: number }
  // per user, counts clicks until 10 ms of event time without a click, then reports the session
  const fn: KeyedProcessFunction<Click, string> & { n?: ValueState<number>, last?: ValueState<number> } = {
    open (ctx) {
      this.n = ctx.getState(new ValueStateDescriptor<number>('n', 0))
      this.last = ctx.getState(new ValueStateDescriptor<number>('last'))
    },
    processElement (c, ctx) {
      const last = this.last!.value()
      if (last !== undefined) ctx.timerService.deleteEventTimeTimer(last + 10)
      this.n!.update(this.n!.value()! + 1)
      this.last!.update(c.ts)
      ctx.timerService.registerEventTimeTimer(c.ts + 10)
    },
    onTimer (t, ctx, out) {
      out.collect(`${String(ctx.currentKey)}: ${this.n!.value()} clicks until ${t - 10}`)
      this.n!.clear()
      this.last!.clear()
    }
  }
  const clicks: Click[] = [
    { user: 'a', ts: 0 }, { user: 'b', ts: 1 }, { user: 'a', ts: 5 }, { user: 'a', ts: 12 },
    { user: 'b', ts: 30 }, { user: 'a', ts: 40 }, { user: 'a', ts: 41 }
  ]
  const out = await env.fromCollection(clicks, WatermarkStrategy.forMonotonousTimestamps<Click>().withTimestampAssigner(c => c.ts))
    .keyBy(c => c.user).process(fn).executeAndCollect()
  assert.equal(sorted(out), sorted(['a: 3 clicks until 12', 'b: 1 clicks until 1', 'b: 1 clicks until 30', 'a: 2 clicks until 41']))
})

StateSuite('TTL: value state expires after its time-to-live in processing time; map entries expire one by one', async () => {
  const env = StreamEnvironment.create({ parallelism: 2, chaining: false })
  // the environment runs on the wall clock (the backend's TTL cases are exact with an
  // injected clock, heap-keyed-state-backend.test.ts): the margins are seconds wide so that a
  // timer firing late on a busy machine cannot change what a read sees
  const ttlMs = 3_000
  const end = deferred()
  const reports: string[] = []
  interface Fn extends KeyedProcessFunction<{ k: string }, string> {
    seen?: ValueState<string>
    entries?: MapState<string, number>
    startedAt?: ValueState<number>
  }
  // element at 0: writes the value and map entry 'first'; timer at +1500 writes map entry 'second';
  // timer at +20 reads everything (all alive), timer at +3020 reads again: the value and 'first'
  // are older than the ttl (3000), 'second' (written at +1500) is not
  const fn: Fn = {
    open (ctx) {
      this.seen = ctx.getState(new ValueStateDescriptor<string>('seen').enableTimeToLive({ ttlMs }))
      this.entries = ctx.getMapState(new MapStateDescriptor<string, number>('entries').enableTimeToLive({ ttlMs }))
      this.startedAt = ctx.getState(new ValueStateDescriptor<number>('started-at'))
    },
    processElement (x, ctx) {
      const now = ctx.timerService.currentProcessingTime()
      this.seen!.update(`seen ${x.k}`)
      this.entries!.put('first', 1)
      this.startedAt!.update(now)
      for (const dt of [20, 1_500, 3_020]) ctx.timerService.registerProcessingTimeTimer(now + dt)
    },
    onTimer (t, ctx, out) {
      const dt = t - this.startedAt!.value()!
      if (dt === 1_500) {
        this.entries!.put('second', 2)
        return
      }
      const line = `${String(ctx.currentKey)} +${dt}: value=${this.seen!.value() ?? '-'} map=${[...this.entries!.keys()].join(',') || '-'}`
      reports.push(line)
      out.collect(line)
    }
  }
  const out = env.fromSource(listSource([[{ k: 'a' }, { k: 'b' }]], { hold: end.promise }), WatermarkStrategy.noWatermarks(), 'two-keys')
    .keyBy(x => x.k)
    .process(fn)
    .collect()
  const job = env.execute('ttl')
  try {
    await waitFor('both keys to report twice', () => reports.length === 4, 30_000)
  } finally {
    end.resolve()
  }
  await job
  assert.equal(sorted(out.values), sorted([
    'a +20: value=seen a map=first',
    'b +20: value=seen b map=first',
    'a +3020: value=- map=second',
    'b +3020: value=- map=second'
  ]))
})

StateSuite('descriptors reject an empty name and a non-positive ttl', () => {
  assert.throws(() => new ValueStateDescriptor(''), /A state descriptor needs a non-empty name/)
  assert.throws(() => new ListStateDescriptor('l').enableTimeToLive({ ttlMs: 0 }), /State 'l': ttlMs must be positive/)
})

StateSuite('asking for one state name as two kinds fails the job, naming the operator', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1]).keyBy(x => x).process<number>({
    open (ctx) {
      ctx.getState(new ValueStateDescriptor('s'))
      ctx.getListState(new ListStateDescriptor('s'))
    },
    processElement () {}
  }).name('confused').collect()
  try {
    await env.execute('kinds')
    assert.unreachable('should fail')
  } catch (err) {
    assert.is((err as Error).message, "Job 'kinds' failed: Operator 'confused' failed: State 's' was declared as value state and again as list state")
  }
})

StateSuite.run()
