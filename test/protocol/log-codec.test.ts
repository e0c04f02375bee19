/**
 * The metadata log's commands: `decodeLogCommand` returns a typed copy of a valid command
 * and refuses anything else naming the field — here the incarnations an attempt records
 * (which process of each peer it was placed on).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeLogCommand } from '../../protocol/log-codec.ts'
import { cidOf } from '../../protocol/cid.ts'

const test = suite('decodeLogCommand')

const submit = {
  op: 'submit-job', jobId: 'j1', name: 'job', codeCid: cidOf(new TextEncoder().encode('code')).toString(), args: {}, parallelism: 2,
  codeHolders: ['peer-a'], attempt: 0, tasks: [{ vertex: 'v', subtask: 0, peer: 'peer-a' }, { vertex: 'v', subtask: 1, peer: 'peer-b' }],
  submittedAt: 1
}
const restart = { op: 'restart-job', jobId: 'j1', attempt: 1, tasks: submit.tasks, reason: 'lost peer-b', at: 2 }

test('keeps the incarnations of a submission and of a restart', () => {
  const s = decodeLogCommand({ ...submit, incarnations: { 'peer-a': 1796481473452, 'peer-b': 5 } })
  assert.equal(s.op === 'submit-job' ? s.incarnations : undefined, { 'peer-a': 1796481473452, 'peer-b': 5 })
  const r = decodeLogCommand({ ...restart, incarnations: { 'peer-a': 7 } })
  assert.equal(r.op === 'restart-job' ? r.incarnations : undefined, { 'peer-a': 7 })
})

test('keeps the partitions and locality of a scan task, and refuses bad ones naming the field', () => {
  const tasks = [{ vertex: 'v', subtask: 0, peer: 'peer-a', partitions: [0, 2], local: true }, { vertex: 'v', subtask: 1, peer: 'peer-b', partitions: [1], local: false }]
  const s = decodeLogCommand({ ...submit, tasks })
  assert.equal(s.op === 'submit-job' ? s.tasks : undefined, tasks)
  assert.throws(() => decodeLogCommand({ ...submit, tasks: [{ ...tasks[0], partitions: [2, 0] }] }), /tasks\[0\]\.partitions\[1\].*must be above the partition before it/)
  assert.throws(() => decodeLogCommand({ ...submit, tasks: [{ ...tasks[0], partitions: [128] }] }), /partitions\[0\].*partition index in 0\.\.127/)
  assert.throws(() => decodeLogCommand({ ...restart, tasks: [{ ...tasks[0], local: 'yes' }] }), /tasks\[0\]\.local/)
})

test('a command without incarnations (an older log) stays valid and has none', () => {
  const s = decodeLogCommand(submit)
  assert.is(s.op === 'submit-job' ? s.incarnations : 'x', undefined)
})

test('refuses incarnations that are not a map of peer ids to start times, naming the field', () => {
  const bad: [unknown, RegExp][] = [
    [[1, 2], /incarnations.*must be a map of peer ids to start times/],
    [{ 'peer-a': -1 }, /incarnations.*peer-a.*must be a non-negative integer/],
    [{ 'peer-a': 1.5 }, /incarnations.*must be a non-negative integer/],
    [{ 'peer-a': '5' }, /incarnations.*must be a non-negative integer/],
    [{ ['x'.repeat(500)]: 5 }, /incarnations.*must have at most/],
    [{ '': 5 }, /incarnations/]
  ]
  for (const [value, message] of bad) {
    assert.throws(() => decodeLogCommand({ ...submit, incarnations: value }), message, JSON.stringify(value).slice(0, 40))
    assert.throws(() => decodeLogCommand({ ...restart, incarnations: value }), message)
  }
})

const datasetCommit = {
  op: 'dataset-commit', name: 'sales', version: 2, cid: submit.codeCid, rows: 100, bytes: 4096, segments: 3,
  partitioning: { kind: 'hash', column: 'store', partitions: 4 }, createdAt: 1_700_000_000_000
}

test('dataset-commit and dataset-drop decode to copies of their declared fields', () => {
  assert.equal(decodeLogCommand(datasetCommit), datasetCommit)
  const rr = { ...datasetCommit, partitioning: { kind: 'round-robin', partitions: 1 } }
  assert.equal(decodeLogCommand(rr), rr)
  assert.equal(decodeLogCommand({ ...datasetCommit, commitId: 'sink/3' }), { ...datasetCommit, commitId: 'sink/3' })
  assert.throws(() => decodeLogCommand({ ...datasetCommit, commitId: 'a b' }), /field 'commitId' must be a commit id/)
  assert.equal(decodeLogCommand({ op: 'dataset-drop', name: 'sales.v2-x_' }), { op: 'dataset-drop', name: 'sales.v2-x_' })
})

test('refuses malformed dataset commands naming the field', () => {
  const bad: [unknown, RegExp][] = [
    [{ ...datasetCommit, name: '1sales' }, /field 'name' must be a dataset name/],
    [{ ...datasetCommit, name: 'x'.repeat(129) }, /field 'name' must have at most 128/],
    [{ ...datasetCommit, version: 0 }, /field 'version' must be at least 1/],
    [{ ...datasetCommit, cid: 'Qm-nope' }, /field 'cid' must be a meshflow block CID/],
    [{ ...datasetCommit, rows: 1.5 }, /field 'rows' must be a non-negative integer/],
    [{ ...datasetCommit, bytes: undefined }, /field 'bytes' is missing/],
    [{ ...datasetCommit, segments: 5000 }, /field 'segments' must be at most 4096/],
    [{ ...datasetCommit, partitioning: { kind: 'range', partitions: 2 } }, /partitioning.kind' must be one of/],
    [{ ...datasetCommit, partitioning: { kind: 'hash', partitions: 2 } }, /partitioning.column' is missing/],
    [{ ...datasetCommit, partitioning: { kind: 'round-robin', partitions: 0 } }, /partitioning.partitions' must be at least 1/],
    [{ ...datasetCommit, partitioning: { kind: 'round-robin', partitions: 2, column: 'a' } }, /partitioning.column' must be absent/],
    [{ ...datasetCommit, schema: {} }, /field 'schema' is not a field/],
    [{ op: 'dataset-drop', name: '' }, /field 'name' must not be empty/],
    [{ op: 'dataset-drop', name: 'a', version: 1 }, /field 'version' is not a field/]
  ]
  for (const [value, message] of bad) assert.throws(() => decodeLogCommand(value), message, JSON.stringify(value).slice(0, 60))
})

test('submit-job keeps the dataset versions a job reads, and refuses bad ones', () => {
  const s = decodeLogCommand({ ...submit, datasets: { sales: 3, stores: 1 } })
  assert.equal(s.op === 'submit-job' ? s.datasets : undefined, { sales: 3, stores: 1 })
  assert.throws(() => decodeLogCommand({ ...submit, datasets: { sales: 0 } }), /datasets.sales' must be at least 1/)
  assert.throws(() => decodeLogCommand({ ...submit, datasets: { '9x': 1 } }), /datasets' must be a dataset name/)
  assert.throws(() => decodeLogCommand({ ...submit, datasets: [1] }), /datasets' must be a map of dataset names to versions/)
  assert.throws(() => decodeLogCommand({ ...submit, datasets: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`d${i}`, 1])) }), /at most 64 datasets/)
})

test.run()
