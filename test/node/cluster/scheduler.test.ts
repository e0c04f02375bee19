import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, type Sink } from 'meshflow'
import { schedule, slotsUsed } from '../../../node/cluster/scheduler.ts'

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

scheduler.run()
