import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeManifest, encodeManifest, planRestore, subtaskShare, type CheckpointManifest, type ManifestOperator } from '../../../node/runtime/checkpoint-manifest.ts'
import { encodeCbor } from '../../../protocol/cbor.ts'
import type { JobGraph } from '../../../node/graph/job-graph.ts'

const test = suite('checkpoint manifest')

const sum: ManifestOperator = {
  id: 'sum', uid: 'sum', name: 'sum', parallelism: 2, maxParallelism: 128,
  subtasks: [{ keyed: ['a0', 'a1'], list: [] }, { keyed: ['b0'], list: [] }]
}
const source: ManifestOperator = {
  id: 'src-1', uid: undefined, name: 'events', parallelism: 2, maxParallelism: 128,
  subtasks: [{ keyed: [], list: [{ id: '0' }] }, { keyed: [], list: [{ id: '1' }, { id: '2' }] }]
}
const manifest: CheckpointManifest = {
  version: 1, jobId: 'j', jobName: 'job', checkpointId: 7, kind: 'savepoint', savepoint: 'sp', final: false, createdAt: 1, operators: [sum, source]
}

function graphWith (...ids: string[]): JobGraph {
  return { maxParallelism: 128, vertices: ids.map(id => ({ id, parallelism: 3, maxParallelism: 128, source: undefined, operators: [{ id, uid: id, name: id }] })) } as unknown as JobGraph
}

test('round-trips through its encoding', () => {
  assert.equal(decodeManifest(encodeManifest(manifest)), manifest)
})

test('rejects blocks that are not manifests, naming what is wrong', () => {
  assert.throws(() => decodeManifest(encodeCbor({ version: 2 })), /not a checkpoint manifest/)
  assert.throws(() => decodeManifest(encodeCbor({ ...manifest, operators: [{ ...sum, subtasks: [{ keyed: 'x', list: [] }] }] })), /malformed operator entry \(operator sum\)/)
})

test('redistributes keyed chunks by key-group overlap and list state round-robin at a new parallelism', () => {
  // 2 -> 3: old subtask 0 holds key groups 0..63, 1 holds 64..127; new 1 holds 43..85
  assert.equal(subtaskShare(sum, 0, 3, 128).keyedCids, ['a0', 'a1'])
  assert.equal(subtaskShare(sum, 1, 3, 128).keyedCids, ['a0', 'a1', 'b0'])
  assert.equal(subtaskShare(sum, 2, 3, 128).keyedCids, ['b0'])
  assert.equal([0, 1, 2].map(s => subtaskShare(source, s, 3, 128).list), [[{ id: '0' }], [{ id: '1' }], [{ id: '2' }]])
  // same parallelism: each subtask keeps its own
  assert.equal(subtaskShare(source, 1, 2, 128).list, [{ id: '1' }, { id: '2' }])
})

test('refuses state of operators the job lacks, naming every uid, unless allowed', () => {
  assert.throws(() => planRestore(manifest, graphWith('other')), /savepoint 'sp' holds state of 2 operators the job does not have \(operator uid 'sum', operator 'events' \(no uid, id src-1\)\)/)
  const plan = planRestore(manifest, graphWith('sum'), { allowNonRestoredState: true })
  assert.equal([...plan.operators.keys()], ['sum'])
})

test('refuses a restore into another max parallelism', () => {
  const g = { maxParallelism: 64, vertices: [{ id: 'sum', parallelism: 2, maxParallelism: 64, operators: [{ id: 'sum', uid: 'sum', name: 'sum' }] }] } as unknown as JobGraph
  assert.throws(() => planRestore({ ...manifest, operators: [sum] }, g), /128 key groups \(max parallelism\) and now has 64/)
})

test.run()
