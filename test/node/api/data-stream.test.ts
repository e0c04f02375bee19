/**
 * DataStream / KeyedStream: what each operation does end to end (union, connect, process
 * with side outputs, partitionings, rolling aggregations), and how misuse fails: at build
 * time with a JobDefinitionError that says what to do, or at run time with a
 * JobExecutionError that names the operator.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  CountTrigger, EventTimeSessionWindows, GlobalWindows, OutputTag, StreamEnvironment,
  TumblingEventTimeWindows, TumblingProcessingTimeWindows, ValueStateDescriptor, WatermarkStrategy,
  keyGroupOf, subtaskForKeyGroup, type CoProcessFunction, type KeyedCoProcessFunction,
  type KeyedProcessFunction, type ProcessFunction, type ValueState
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { sorted, waitFor } from '../support.ts'

const DataStreamSuite = suite('DataStream')

async function rejection (p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject')
}

function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the call to throw')
}

// ---------------------------------------------------------------- misuse

DataStreamSuite('window() on a non-keyed stream fails at build time, saying to keyBy first', () => {
  const env = StreamEnvironment.create()
  const err = thrown(() => env.fromCollection([1, 2]).window(TumblingEventTimeWindows.of(10)))
  assert.is(err.name, 'JobDefinitionError')
  assert.is(err.message, 'window() needs a keyed stream: call keyBy(...) before window(...)')
})

DataStreamSuite('a duplicate uid fails getJobGraph() and execute() with DuplicateUidError naming the uid', async () => {
  const env = StreamEnvironment.create()
  const s = env.fromCollection([1, 2, 3])
  s.map(x => x + 1).uid('inc').collect()
  s.map(x => x * 2).uid('inc').collect()
  const err = thrown(() => env.getJobGraph())
  assert.is(err.name, 'DuplicateUidError')
  assert.is(err.message, "Duplicate operator uid 'inc': every uid must be unique within a job")
  const failed = await rejection(env.execute('dup'))
  assert.is(failed.name, 'DuplicateUidError')
  assert.match(failed.message, /'inc'/)
})

DataStreamSuite('a user function that throws fails execute() with a JobExecutionError naming the operator and the cause', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection([1, 2, 3, 4])
    .map(x => { if (x === 3) throw new Error('bad record 3'); return x })
    .name('parse').uid('parse-v1')
    .collect()
  const err = await rejection(env.execute('parse-job'))
  assert.is(err.name, 'JobExecutionError')
  assert.is(err.message, "Job 'parse-job' failed: Operator 'parse' (uid parse-v1) failed: bad record 3")
  const cause = err.cause as Error & { operatorName: string, operatorUid: string }
  assert.is(cause.name, 'OperatorError')
  assert.is(cause.operatorName, 'parse')
  assert.is(cause.operatorUid, 'parse-v1')
  assert.is((cause.cause as Error).message, 'bad record 3')
})

DataStreamSuite('a throwing window function and a failing sink write name their operators', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  env.fromCollection([{ k: 'a', ts: 1 }, { k: 'a', ts: 20 }], WatermarkStrategy.forMonotonousTimestamps<{ k: string, ts: number }>().withTimestampAssigner(x => x.ts))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .reduce((a) => a, () => { throw new TypeError('no output for you') })
    .name('shape')
    .collect()
  const err = await rejection(env.execute('wf'))
  assert.is(err.message, "Job 'wf' failed: Operator 'shape' failed: no output for you")

  const env2 = StreamEnvironment.create()
  env2.fromCollection([1]).sinkTo({
    createWriter: () => ({ write: async () => { throw new Error('disk full') }, finish () {}, close () {} })
  }, 'archive').uid('archive-1')
  const err2 = await rejection(env2.execute('sink'))
  assert.is(err2.message, "Job 'sink' failed: Operator 'archive' (uid archive-1) failed: disk full")
})

DataStreamSuite('session windows need an AggregateFunction with merge', () => {
  const env = StreamEnvironment.create()
  const windowed = env.fromCollection([{ k: 'a', v: 1 }]).keyBy(x => x.k).window(EventTimeSessionWindows.withGap(10))
  const err = thrown(() => windowed.aggregate({ createAccumulator: () => 0, add: (x, acc: number) => acc + x.v, getResult: acc => acc }))
  assert.is(err.name, 'JobDefinitionError')
  assert.is(err.message, 'Session windows merge, so the AggregateFunction needs a merge(a, b) method')
  // reduce and process bring their own merge
  windowed.reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  windowed.process((_k, _w, xs, out) => { out.collect(xs.length) })
})

DataStreamSuite('forward() between operators of different parallelism fails when the graph is built', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection([1, 2]).forward().map(x => x).name('twice').collect()
  const err = thrown(() => env.getJobGraph())
  assert.is(err.name, 'JobDefinitionError')
  assert.is(err.message, "Forward partitioning needs equal parallelism: 'collection' has 1, 'twice' has 2")
  assert.is((await rejection(env.execute())).name, 'JobDefinitionError')
})

DataStreamSuite('windows: global windows need a trigger, count triggers need global windows, lateness needs event time', () => {
  const env = StreamEnvironment.create()
  const keyed = env.fromCollection([1]).keyBy(x => x)
  assert.match(thrown(() => keyed.window(GlobalWindows.create()).reduce((a, b) => a + b)).message, /global window never fires without a trigger/)
  assert.match(thrown(() => keyed.window(TumblingEventTimeWindows.of(5)).trigger(CountTrigger.of(2)).reduce((a, b) => a + b)).message, /Count triggers apply to global windows only/)
  assert.match(thrown(() => keyed.window(TumblingProcessingTimeWindows.of(5)).allowedLateness(10)).message, /allowedLateness applies to event-time windows only/)
  assert.match(thrown(() => TumblingEventTimeWindows.of(0)).message, /Window size must be a positive number of milliseconds, got 0/)
  assert.match(thrown(() => TumblingEventTimeWindows.of(10, 10)).message, /Window offset must be smaller than the size/)
  assert.match(thrown(() => CountTrigger.of(1.5)).message, /CountTrigger needs a positive integer count/)
})

DataStreamSuite('uid, name and setParallelism apply to operators, not to keyBy or union', () => {
  const env = StreamEnvironment.create()
  const s = env.fromCollection([1])
  const err = thrown(() => s.keyBy(x => x).uid('k'))
  assert.is(err.name, 'JobDefinitionError')
  assert.match(err.message, /uid\(\) applies to an operator/)
  assert.match(thrown(() => s.union(s).name('u')).message, /name\(\) applies to an operator/)
  assert.match(thrown(() => s.map(x => x).setParallelism(0)).message, /Parallelism must be a positive integer, got 0/)
})

DataStreamSuite('a job without sinks cannot run', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1]).map(x => x)
  const err = await rejection(env.execute())
  assert.is(err.message, 'The job has no sinks: add sinkTo(...), print() or collect() to a stream')
})

DataStreamSuite('timers and keyed state on a non-keyed stream fail naming the operator', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1]).process<number>({
    processElement (_x, ctx) { ctx.timerService.registerEventTimeTimer(5) }
  }).name('timed').collect()
  assert.is((await rejection(env.execute('t'))).message, "Job 't' failed: Operator 'timed' failed: Timers are only available on a keyed stream (call keyBy first)")

  const env2 = StreamEnvironment.create()
  env2.fromCollection([1]).process<number>({
    open (ctx) { ctx.getState(new ValueStateDescriptor('x')) },
    processElement () {}
  }).name('stateful').collect()
  assert.match((await rejection(env2.execute('s'))).message, /Operator 'stateful'.*keyed state is only available on a keyed stream/)
})

DataStreamSuite('connect: keying only one of the two streams is an error', () => {
  const env = StreamEnvironment.create()
  const a = env.fromCollection([1])
  const b = env.fromCollection([2])
  const err = thrown(() => a.keyBy(x => x).connect(b).process({ processElement1 () {}, processElement2 () {} }))
  assert.match(err.message, /key both streams \(keyBy on each\) or neither/)
})

DataStreamSuite('execute() with an aborted signal cancels an unbounded job with JobCancelledError', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  let generated = 0
  env.fromSource(datagen({ ratePerSec: 20_000, generate: i => { generated++; return i } }), WatermarkStrategy.noWatermarks(), 'forever').map(x => x).collect()
  const ac = new AbortController()
  const job = env.execute('endless', { signal: ac.signal })
  await waitFor('the source to run', () => generated >= 1_000)
  ac.abort()
  const err = await rejection(job)
  assert.is(err.name, 'JobCancelledError')
  assert.is(err.message, "Job 'endless' was cancelled")
})

// ---------------------------------------------------------------- behaviour

DataStreamSuite('map, filter, flatMap and union of three streams', async () => {
  const env = StreamEnvironment.create({ parallelism: 3 })
  const a = env.fromCollection([1, 2, 3])
  const b = env.fromCollection([10, 20])
  const c = env.fromSource(datagen({ count: 5, generate: i => 100 + i }), WatermarkStrategy.noWatermarks(), 'gen')
  const out = await a.union(b, c)
    .filter(x => x !== 2)
    .flatMap<number>((x, out) => { out.collect(x); if (x >= 100) out.collect(-x) })
    .map(x => x * 2)
    .executeAndCollect()
  assert.equal(out.sort((x, y) => x - y), [-208, -206, -204, -202, -200, 2, 6, 20, 40, 200, 202, 204, 206, 208])
})

DataStreamSuite('a stream read by several chained operators feeds every record and watermark to each', async () => {
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 2 })
  const source = env.fromSource(datagen({ count: 20, generate: i => i }), WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner(x => x), 'gen')
  const lastWatermark = (): ProcessFunction<number, number> & { wm: number } => ({
    wm: Number.NEGATIVE_INFINITY,
    processElement (x, ctx, out) { this.wm = ctx.timerService.currentWatermark(); out.collect(x) },
    endInput (out) { out.collect(this.wm > Number.NEGATIVE_INFINITY ? -1 : -2) } // -1: watermarks arrived
  })
  const a = source.process(lastWatermark()).collect()
  const b = source.map(x => x * 10).collect()
  const c = source.process(lastWatermark()).collect()
  assert.is(env.getJobGraph().vertices.length, 1, 'all chained into the source task')
  await env.execute('fan-out')
  const ids = Array.from({ length: 20 }, (_, i) => i)
  assert.equal(a.values.sort((x, y) => x - y), [-1, -1, ...ids])
  assert.equal(c.values.sort((x, y) => x - y), [-1, -1, ...ids])
  assert.equal(b.values.sort((x, y) => x - y), ids.map(i => i * 10))
})

DataStreamSuite('process: side outputs of a ProcessFunction and endInput', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const odd = new OutputTag<string>('odd')
  const fn: ProcessFunction<number, number> = {
    processElement (x, ctx, out) {
      if (x % 2 === 1) ctx.output(odd, `odd ${x}`)
      else out.collect(x)
    },
    endInput (out) { out.collect(-1) }
  }
  const main = env.fromCollection([1, 2, 3, 4, 5]).rebalance().process(fn)
  const evens = main.collect()
  const odds = main.sideOutput(odd).collect()
  await env.execute('side-outputs')
  assert.equal(evens.values.sort((x, y) => x - y), [-1, -1, 2, 4], 'endInput runs once per subtask')
  assert.equal(odds.values.sort(), ['odd 1', 'odd 3', 'odd 5'])
})

DataStreamSuite('process on a keyed stream: side outputs and keyed state', async () => {
  const env = StreamEnvironment.create({ parallelism: 3 })
  const firstSeen = new OutputTag<string>('first-seen')
  // state handles live in fields: every subtask gets its own copy of the function object
  const fn: KeyedProcessFunction<string, string> & { seen?: ValueState<number> } = {
    open (ctx) { this.seen = ctx.getState(new ValueStateDescriptor<number>('seen', 0)) },
    processElement (w, ctx, out) {
      const n = this.seen!.value()! + 1
      this.seen!.update(n)
      if (n === 1) ctx.output(firstSeen, w)
      out.collect(`${w}#${n}`)
    }
  }
  const counted = env.fromCollection(['a', 'b', 'a', 'c', 'b', 'a']).keyBy(w => w).process(fn)
  const out = counted.collect()
  const first = counted.getSideOutput(firstSeen).collect()
  await env.execute('keyed-side-outputs')
  assert.equal(out.values.sort(), ['a#1', 'a#2', 'a#3', 'b#1', 'b#2', 'c#1'])
  assert.equal(first.values.sort(), ['a', 'b', 'c'])
})

DataStreamSuite('connect(...).process on non-keyed streams: each input to its own method', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const fn: CoProcessFunction<number, string, string> = {
    processElement1 (x, _ctx, out) { out.collect(`n:${x}`) },
    processElement2 (s, _ctx, out) { out.collect(`s:${s}`) }
  }
  const out = await env.fromCollection([1, 2, 3]).connect(env.fromCollection(['x', 'y'])).process(fn).executeAndCollect()
  assert.equal(out.sort(), ['n:1', 'n:2', 'n:3', 's:x', 's:y'])
})

DataStreamSuite('connect(...).process on keyed streams: keyed state is shared by both inputs', async () => {
  const env = StreamEnvironment.create({ parallelism: 3, batchSize: 1 })
  interface Rule { sensor: string, max: number }
  interface Reading { sensor: string, value: number, ts: number }
  const strategy = <T extends { ts: number }>() => WatermarkStrategy.forMonotonousTimestamps<T>().withTimestampAssigner(x => x.ts)
  // rules arrive first (ts 0); readings later, so that every reading finds its rule
  const rules = env.fromCollection<Rule & { ts: number }>([{ sensor: 's1', max: 10, ts: 0 }, { sensor: 's2', max: 20, ts: 0 }, { sensor: 's3', max: 30, ts: 0 }], strategy())
  const readings = env.fromCollection<Reading>(Array.from({ length: 30 }, (_, i) => ({ sensor: `s${(i % 3) + 1}`, value: i, ts: 100 + i })), strategy())
  const fn: KeyedCoProcessFunction<Reading, Rule, string> & { max?: ValueState<number> } = {
    open (ctx) { this.max = ctx.getState(new ValueStateDescriptor<number>('max')) },
    processElement1 (r, _ctx, out) {
      const max = this.max!.value()
      if (max !== undefined && r.value > max) out.collect(`${r.sensor} too high: ${r.value}`)
    },
    processElement2 (rule) { this.max!.update(rule.max) }
  }
  const out = await readings.keyBy(r => r.sensor).connect(rules.keyBy(r => r.sensor)).process(fn).executeAndCollect()
  // whether a reading came before its rule depends on scheduling; every alert must be right
  for (const line of out) {
    const [, sensor, value] = /^(s\d) too high: (\d+)$/.exec(line) ?? []
    assert.ok(sensor !== undefined, line)
    assert.ok(Number(value) > Number(sensor!.slice(1)) * 10, line)
  }
})

DataStreamSuite('connect on keyed streams routes both inputs of one key to the same state', async () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  const left = env.fromCollection(Array.from({ length: 40 }, (_, i) => ({ k: `k${i % 8}`, side: 'L' })))
  const right = env.fromCollection(Array.from({ length: 24 }, (_, i) => ({ k: `k${i % 8}`, side: 'R' })))
  const fn: KeyedCoProcessFunction<{ k: string }, { k: string }, [string, number]> & { count?: ValueState<number> } = {
    open (ctx) { this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0)) },
    processElement1 (x, _ctx, out) { this.count!.update(this.count!.value()! + 1); out.collect([x.k, this.count!.value()!]) },
    processElement2 (x, _ctx, out) { this.count!.update(this.count!.value()! + 100); out.collect([x.k, this.count!.value()!]) }
  }
  const out = await left.keyBy(x => x.k).connect(right.keyBy(x => x.k)).process(fn).executeAndCollect()
  const finalPerKey = new Map<string, number>()
  for (const [k, n] of out) finalPerKey.set(k, Math.max(finalPerKey.get(k) ?? 0, n))
  assert.equal([...finalPerKey.entries()].sort(), Array.from({ length: 8 }, (_, i) => [`k${i}`, 5 + 300] as [string, number]).sort())
})

DataStreamSuite('rebalance spreads records round-robin; broadcast sends every record to every subtask', async () => {
  const env = StreamEnvironment.create({ parallelism: 4 })
  const tagged = (): ProcessFunction<number, [number, number]> & { subtask: number } => ({
    subtask: -1,
    open (ctx) { this.subtask = ctx.subtaskIndex },
    processElement (x, _ctx, out) { out.collect([this.subtask, x]) }
  })
  const source = env.fromCollection(Array.from({ length: 100 }, (_, i) => i))
  const rebalanced = source.rebalance().process(tagged()).collect()
  const broadcast = source.broadcast().process(tagged()).collect()
  await env.execute('partitionings')
  const count = (xs: [number, number][]): number[] => [0, 1, 2, 3].map(s => xs.filter(([t]) => t === s).length)
  assert.equal(count(rebalanced.values), [25, 25, 25, 25])
  assert.equal(rebalanced.values.map(([, x]) => x).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i))
  assert.equal(count(broadcast.values), [100, 100, 100, 100])
  for (let s = 0; s < 4; s++) {
    assert.equal(broadcast.values.filter(([t]) => t === s).map(([, x]) => x), Array.from({ length: 100 }, (_, i) => i), `subtask ${s} sees every record in order`)
  }
})

DataStreamSuite('keyBy sends each key to the subtask owning its key group', async () => {
  const env = StreamEnvironment.create({ parallelism: 3, maxParallelism: 16 })
  const keys = Array.from({ length: 50 }, (_, i) => `user-${i}`)
  const fn: KeyedProcessFunction<string, [string, number]> & { subtask: number } = {
    subtask: -1,
    open (ctx) { this.subtask = ctx.subtaskIndex },
    processElement (k, _ctx, out) { out.collect([k, this.subtask]) }
  }
  const out = await env.fromCollection([...keys, ...keys]).keyBy(k => k).process(fn).executeAndCollect()
  assert.is(out.length, 100)
  const owner = new Map<string, Set<number>>()
  for (const [k, s] of out) owner.set(k, (owner.get(k) ?? new Set()).add(s))
  for (const k of keys) {
    const expected = subtaskForKeyGroup(keyGroupOf(k, 16), 3, 16)
    assert.equal([...owner.get(k)!], [expected], k)
  }
  assert.equal(new Set(out.map(([, s]) => s)), new Set([0, 1, 2]), 'fifty keys land on every subtask')
})

DataStreamSuite('rolling keyBy().reduce emits the running result per key for every record', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = await env.fromCollection([['a', 1], ['b', 10], ['a', 2], ['a', 3], ['b', 20]] as [string, number][])
    .keyBy(([k]) => k)
    .reduce(([k, x], [, y]) => [k, x + y])
    .executeAndCollect()
  assert.equal(out.filter(([k]) => k === 'a'), [['a', 1], ['a', 3], ['a', 6]])
  assert.equal(out.filter(([k]) => k === 'b'), [['b', 10], ['b', 30]])
})

DataStreamSuite('rolling keyBy().aggregate with composite keys', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = await env.fromCollection([{ a: 1, b: 'x', v: 1 }, { a: 1, b: 'y', v: 2 }, { a: 1, b: 'x', v: 4 }])
    .keyBy(r => [r.a, r.b])
    .aggregate({ createAccumulator: () => [] as number[], add: (r, acc: number[]) => [...acc, r.v], getResult: acc => acc.join('+') })
    .executeAndCollect()
  assert.equal(sorted(out), sorted(['1', '1+4', '2']))
})

DataStreamSuite('a sink placed like the operator before it chains to it; placed elsewhere it is a task of its own', () => {
  const vertices = (sinkPlacement: Record<string, string> | undefined): string[][] => {
    const env = StreamEnvironment.create({ parallelism: 2 })
    const sink = env.fromSource(datagen({ count: 4, generate: i => i }), undefined, 'gen')
      .placement({ side: 'a' })
      .keyBy(i => i % 2)
      .map(i => i).name('count')
      .placement({ side: 'b' })
      .sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) }, 'out')
    if (sinkPlacement !== undefined) sink.placement(sinkPlacement)
    return env.getJobGraph().vertices.map(v => v.operators.map(o => o.transformation.name))
  }
  assert.equal(vertices({ side: 'b' }), [['gen'], ['count', 'out']])
  assert.equal(vertices(undefined), [['gen'], ['count'], ['out']])
})

DataStreamSuite.run()
