import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, type Sink } from 'meshflow'
import { schedule, slotsUsed, type PartitionLocality } from '../../../node/cluster/scheduler.ts'

const scheduler = suite('schedule')
const discard: Sink<unknown> = { createWriter: () => ({ write () {}, finish () {}, close () {} }) }

function graph (parallelism: number, edge?: Record<string, string>): ReturnType<StreamEnvironment['getJobGraph']> {
  const env = StreamEnvironment.create({ parallelism })
  let s = env.fromCollection([1, 2, 3]).map(x => x).disableChaining()
  if (edge !== undefined) s = s.map(x => x).name('sensor-read').placement(edge).setParallelism(1)
  s.keyBy(x => x).reduce((a, b) => a + b).sinkTo(discard)
  return env.getJobGraph()
}

scheduler('spreads the subtasks of every vertex over the peers', () => {
  const tasks = schedule(graph(4), [{ id: 'a', labels: {}, freeSlots: 2 }, { id: 'b', labels: {}, freeSlots: 2 }, { id: 'c', labels: {}, freeSlots: 2 }])
  const peersOfMap = new Set(tasks.filter(t => t.vertex.startsWith('map')).map(t => t.peer))
  assert.is(peersOfMap.size, 3, 'four subtasks over three peers use all three')
  for (const [, n] of slotsUsed(tasks)) assert.ok(n <= 2)
})

scheduler('honours a placement constraint and names a label nobody has', () => {
  const peers = [{ id: 'a', labels: { tier: 'cloud' }, freeSlots: 4 }, { id: 'edge-1', labels: { tier: 'edge' }, freeSlots: 1 }]
  const tasks = schedule(graph(2, { tier: 'edge' }), peers)
  const constrained = tasks.filter(t => t.vertex.startsWith('sensor-read'))
  assert.equal(constrained.map(t => t.peer), ['edge-1'])
  assert.throws(() => schedule(graph(2, { tier: 'moon' }), peers), (err: Error) =>
    err.name === 'SchedulingError' && err.message.includes('sensor-read') && err.message.includes('tier=moon') && err.message.includes('no peer'))
})

scheduler('fails when the mesh has too few slots, saying how many are needed and free', () => {
  assert.throws(() => schedule(graph(8), [{ id: 'a', labels: {}, freeSlots: 2 }, { id: 'b', labels: {}, freeSlots: 3 }]), (err: Error) =>
    err.name === 'SchedulingError' && /needs 8.*5 free/.test(err.message))
})

/** A job that scans a source at parallelism `p` and sinks it; its scan vertex id. */
function scanGraph (p: number): { graph: ReturnType<StreamEnvironment['getJobGraph']>, scan: string } {
  const env = StreamEnvironment.create({ parallelism: p })
  env.fromCollection([1, 2, 3]).setParallelism(1).rebalance().map(x => x).name('scan').setParallelism(p).sinkTo(discard)
  const graph = env.getJobGraph()
  return { graph, scan: graph.vertices.find(v => v.name === 'scan')!.id }
}

const part = (bytes: number, holders: Record<string, number>): PartitionLocality => ({ bytes, holders: new Map(Object.entries(holders)) })

scheduler('places each scan subtask on a peer holding its partition, with the partitions and local in its task', () => {
  const { graph, scan } = scanGraph(3)
  const peers = [{ id: 'a', labels: {}, freeSlots: 2 }, { id: 'b', labels: {}, freeSlots: 2 }, { id: 'c', labels: {}, freeSlots: 2 }]
  // without locality the slots go a, b, c: every partition below lives elsewhere
  const parts = [part(100, { c: 100, b: 100 }), part(100, { a: 100, c: 100 }), part(100, { b: 100, a: 100 })]
  const plain = schedule(graph, peers).filter(t => t.vertex === scan)
  assert.equal(plain.map(t => t.peer), ['a', 'b', 'c'])
  const tasks = schedule(graph, peers, { locality: new Map([[scan, parts]]) })
  const scans = tasks.filter(t => t.vertex === scan)
  for (const t of scans) {
    assert.equal(t.partitions, [t.subtask])
    assert.ok(parts[t.subtask]!.holders.has(t.peer), `partition ${t.subtask} on ${t.peer}`)
    assert.is(t.local, true)
  }
  assert.ok(new Set(scans.map(t => t.peer)).size >= 2, 'holders tied on bytes: the scans spread')
  for (const [, n] of slotsUsed(tasks)) assert.ok(n <= 2)
  // every other vertex's subtask s shares slot s with the scan's
  for (const t of tasks.filter(t => t.vertex !== scan && t.subtask < 3)) assert.is(t.peer, scans[t.subtask]!.peer)
  assert.ok(tasks.filter(t => t.vertex !== scan).every(t => t.partitions === undefined && t.local === undefined))
})

scheduler('prefers the peer holding the most bytes, falls back to any peer when the holders are full, and says so', () => {
  const { graph, scan } = scanGraph(2)
  // partition 0 mostly on b; partition 1 only on c, which has no free slot
  const parts = [part(100, { a: 10, b: 90 }), part(50, { c: 50 })]
  const peers = [{ id: 'a', labels: {}, freeSlots: 1 }, { id: 'b', labels: {}, freeSlots: 1 }, { id: 'c', labels: {}, freeSlots: 0 }]
  const scans = schedule(graph, peers, { locality: new Map([[scan, parts]]) }).filter(t => t.vertex === scan)
  assert.equal(scans.map(t => [t.subtask, t.peer, t.local]), [[0, 'b', false], [1, 'a', false]])
})

scheduler('a scan at a lower parallelism than partitions reads every partition i % parallelism', () => {
  const { graph, scan } = scanGraph(2)
  const parts = [part(1, { a: 1 }), part(1, { b: 1 }), part(1, { a: 1 }), part(1, { b: 1 }), part(1, { a: 1 })]
  const peers = [{ id: 'a', labels: {}, freeSlots: 1 }, { id: 'b', labels: {}, freeSlots: 1 }]
  const scans = schedule(graph, peers, { locality: new Map([[scan, parts]]) }).filter(t => t.vertex === scan)
  assert.equal(scans.map(t => [t.partitions, t.peer, t.local]), [[[0, 2, 4], 'a', true], [[1, 3], 'b', true]])
})

scheduler.run()
