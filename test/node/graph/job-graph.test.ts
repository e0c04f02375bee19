/**
 * buildJobGraph (through `env.getJobGraph()`): deterministic operator ids, chaining of
 * forward-connected operators of equal parallelism, partitioners of the edges, and the
 * checks that make a graph unbuildable.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  OutputTag, StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type StreamEnvironmentOptions
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import type { JobGraph } from '../../../node/graph/job-graph.ts'

const JobGraphSuite = suite('buildJobGraph')

interface Sale { store: string, amount: number, ts: number }

/** A pipeline with a bit of everything: chains, keyBy, a window, a side output, a union. */
function build (env: StreamEnvironment): void {
  const sales = env.fromSource(datagen({ count: 10, generate: i => ({ store: `s${i % 3}`, amount: i, ts: i }) }),
    WatermarkStrategy.forBoundedOutOfOrderness<Sale>(5).withTimestampAssigner(s => s.ts), 'sales')
  const big = new OutputTag<Sale>('big')
  const checked = sales.filter(s => s.amount >= 0).process<Sale>({
    processElement (s, ctx, out) { if (s.amount > 5) ctx.output(big, s); out.collect(s) }
  })
  checked.keyBy(s => s.store).window(TumblingEventTimeWindows.of(10))
    .aggregate({ createAccumulator: () => 0, add: (s: Sale, a: number) => a + s.amount, getResult: (a: number) => a })
    .uid('revenue')
    .map(x => x * 2)
    .collect()
  checked.sideOutput(big).union(env.fromCollection([{ store: 'x', amount: 100, ts: 0 }])).map(s => s.amount).collect()
  checked.map(s => s.amount).collect()
  checked.map(s => s.amount).collect()
}

/** Everything that identifies a graph: vertices with their operators, and edges. */
function shape (g: JobGraph): unknown {
  return {
    vertices: g.vertices.map(v => ({ id: v.id, name: v.name, p: v.parallelism, ops: v.operators.map(o => o.id) })),
    edges: g.vertices.flatMap(v => v.outputs.map(e => `${e.from.id}/${e.fromOperator.id} -${e.partition}${e.tagId === undefined ? '' : `[${e.tagId}]`}-> ${e.to.id}#${e.inputIndex}`))
  }
}

function graphOf (options: StreamEnvironmentOptions = {}, f: (env: StreamEnvironment) => void = build): JobGraph {
  const env = StreamEnvironment.create(options)
  f(env)
  return env.getJobGraph()
}

JobGraphSuite('operator ids are deterministic across two builds of the same pipeline', () => {
  const a = graphOf({ parallelism: 2 })
  const b = graphOf({ parallelism: 2 })
  assert.equal(shape(a), shape(b))
  const ids = a.vertices.flatMap(v => v.operators.map(o => o.id))
  assert.is(new Set(ids).size, ids.length, 'ids are unique')
  for (const id of ids) assert.match(id, /^revenue$|^[a-z0-9-]+-[0-9a-f]{8}$/)
})

JobGraphSuite('ids do not depend on parallelism or chaining, and a uid is the id', () => {
  const ids = (g: JobGraph): string[] => g.vertices.flatMap(v => v.operators.map(o => o.id)).sort()
  const base = graphOf({ parallelism: 2 })
  assert.equal(ids(graphOf({ parallelism: 5 })), ids(base))
  assert.equal(ids(graphOf({ parallelism: 2, chaining: false })), ids(base))
  assert.ok(ids(base).includes('revenue'))
})

JobGraphSuite('identical siblings get distinct ids by their rank; a new branch leaves existing ids alone', () => {
  const g = graphOf()
  const mapsAfterProcess = g.vertices.flatMap(v => v.operators).filter(o => o.name === 'map')
  assert.is(new Set(mapsAfterProcess.map(o => o.id)).size, mapsAfterProcess.length)
  const extended = graphOf({}, env => { build(env); env.fromCollection([1]).map(x => x).collect() })
  const before = new Set(g.vertices.flatMap(v => v.operators.map(o => o.id)))
  const after = new Set(extended.vertices.flatMap(v => v.operators.map(o => o.id)))
  for (const id of before) assert.ok(after.has(id), id)
})

JobGraphSuite('chaining fuses forward operators of equal parallelism into one vertex', () => {
  const g = graphOf({ parallelism: 2 })
  const names = g.vertices.map(v => v.operators.map(o => o.name).join(' > '))
  assert.equal(names, [
    'sales > filter > process > map > collect > map > collect', // the two last maps of `checked`, each with its sink
    'window-aggregate > map > collect', // after keyBy: hash edge
    'collection', // a non-parallel source (parallelism 1)
    'map > collect' // after the union (two inputs: never chained)
  ])
  assert.equal(g.vertices.map(v => v.parallelism), [2, 2, 1, 2])
  const [sales, window, collection, union] = g.vertices
  assert.equal(sales!.outputs.map(e => [e.to.name, e.partition, e.tagId]), [['window-aggregate', 'hash', undefined], ['map', 'forward', 'big']])
  assert.ok(sales!.outputs[0]!.keySelector !== undefined)
  assert.equal(collection!.outputs.map(e => [e.to.name, e.partition, e.inputIndex]), [['map', 'rebalance', 0]], 'parallelism 1 -> 2: rebalance; a union is one logical input')
  assert.equal(union!.inputs.map(e => e.from.name), ['sales', 'collection'])
  assert.equal(window!.inputs.length, 1)
  assert.ok(sales!.source !== undefined)
  assert.is(window!.source, undefined)
})

JobGraphSuite('keyBy, rebalance, broadcast, a parallelism change and disableChaining each start a new vertex', () => {
  const g = graphOf({ parallelism: 2 }, env => {
    const s = env.fromCollection([1, 2, 3]) // parallelism 1
    s.map(x => x).name('same-p').setParallelism(1).collect() // its sink has the default parallelism 2
    const p2 = s.map(x => x).name('rescaled').setParallelism(2)
    p2.map(x => x).name('chained').collect()
    p2.rebalance().map(x => x).name('after-rebalance').collect()
    p2.broadcast().map(x => x).name('after-broadcast').collect()
    p2.keyBy(x => x).map(x => x).name('after-keyBy').collect()
    p2.map(x => x).name('unchained').disableChaining().collect()
    p2.map(x => x).name('three').setParallelism(3).collect()
  })
  const vertexOf = (name: string): string => g.vertices.find(v => v.operators.some(o => o.name === name))!.operators.map(o => o.name).join(' > ')
  assert.is(vertexOf('same-p'), 'collection > same-p')
  assert.is(vertexOf('chained'), 'rescaled > chained > collect')
  assert.is(vertexOf('after-rebalance'), 'after-rebalance > collect')
  assert.is(vertexOf('after-broadcast'), 'after-broadcast > collect')
  assert.is(vertexOf('after-keyBy'), 'after-keyBy > collect')
  assert.is(vertexOf('unchained'), 'unchained', 'disableChaining keeps it out of its input\'s chain and of its output\'s')
  assert.is(vertexOf('three'), 'three', 'its sink has the default parallelism 2')
  const partitionInto = (name: string): string => g.vertices.find(v => v.operators[0]!.name === name)!.inputs.map(e => e.partition).join(',')
  assert.is(partitionInto('rescaled'), 'rebalance')
  assert.is(partitionInto('after-rebalance'), 'rebalance')
  assert.is(partitionInto('after-broadcast'), 'broadcast')
  assert.is(partitionInto('after-keyBy'), 'hash')
  assert.is(partitionInto('unchained'), 'forward')
  assert.is(partitionInto('three'), 'rebalance')
})

JobGraphSuite('with chaining disabled every operator is its own vertex', () => {
  const g = graphOf({ parallelism: 2, chaining: false })
  for (const v of g.vertices) assert.is(v.operators.length, 1, v.name)
  assert.is(g.vertices.length, 13)
})

JobGraphSuite('side outputs and forward edges between vertices keep their partitioner', () => {
  const g = graphOf({ parallelism: 2, chaining: false })
  const edges = g.vertices.flatMap(v => v.outputs)
  assert.ok(edges.some(e => e.tagId === 'big' && e.partition === 'forward'))
  assert.ok(edges.every(e => e.partition !== 'forward' || e.from.parallelism === e.to.parallelism))
})

JobGraphSuite('max parallelism bounds every operator; a non-parallel source stays at 1', () => {
  assert.throws(() => graphOf({ parallelism: 4, maxParallelism: 2 }), /Parallelism of 'the job' is 4, above the max parallelism 2/)
  assert.throws(() => graphOf({}, env => { env.fromCollection([1]).map(x => x).setParallelism(200).collect() }), /Parallelism of 'map' is 200, above the max parallelism 128/)
  assert.throws(() => graphOf({}, env => { env.fromCollection([1]).setParallelism(2).collect() }), /Source 'collection' is not parallel: its parallelism must be 1/)
  const g = graphOf({ parallelism: 3, maxParallelism: 64 })
  assert.ok(g.vertices.every(v => v.maxParallelism === 64))
  assert.is(g.maxParallelism, 64)
})

JobGraphSuite('a duplicate uid is reported by name, even between a source and a sink', () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1], undefined, 'numbers').uid('x').sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) }).uid('x')
  assert.throws(() => env.getJobGraph(), (err: Error) => err.name === 'DuplicateUidError' && err.message.includes("'x'"))
})

JobGraphSuite('only what a sink depends on is part of the graph', () => {
  const g = graphOf({}, env => {
    const s = env.fromCollection([1])
    s.map(x => x).name('dangling')
    s.map(x => x).name('used').collect()
  })
  const names = g.vertices.flatMap(v => v.operators.map(o => o.name))
  assert.not.ok(names.includes('dangling'))
  assert.ok(names.includes('used'))
})

JobGraphSuite.run()
