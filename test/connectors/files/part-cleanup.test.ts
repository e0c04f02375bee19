/**
 * The rules of the file sink's cleanup of stale hidden parts (connectors/files/part-cleanup.ts):
 * what a writer removes, and every case where it must remove nothing.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { claimName, cleans, planCleanup, sinkTag, type PartNamespace } from '../../../connectors/files/part-cleanup.ts'

const test = suite('planCleanup')

const ns: PartNamespace = { job: 'abcdef01', jobId: 'abcdef01-full', sink: sinkTag('sink-op'), extension: 'jsonl', subtaskIndex: 1, parallelism: 2 }
const none = new Set<string>()

test('removes in-progress and pre-committed parts of its job, extension and subtask that it does not own', () => {
  const parts = [
    '.part-abcdef01-1-dead0001-0.jsonl.inprogress',    // a crashed attempt's part
    '.part-abcdef01-1-7-0.jsonl.pending',              // pre-committed for a checkpoint that never completed
    '.part-abcdef01-1-end-0.jsonl.pending',            // an attempt that reached the end of input, then failed
    '.part-abcdef01-1-live0002-3.jsonl.inprogress',    // ours
    '.part-abcdef01-1-8-0.jsonl.pending'               // ours, waiting for checkpoint 8
  ]
  const live = new Set(['.part-abcdef01-1-live0002-3.jsonl.inprogress', '.part-abcdef01-1-8-0.jsonl.pending'])
  assert.equal(planCleanup(parts, [], ns, live), {
    stale: ['.part-abcdef01-1-7-0.jsonl.pending', '.part-abcdef01-1-dead0001-0.jsonl.inprogress', '.part-abcdef01-1-end-0.jsonl.pending'],
    blockedBy: undefined
  })
})

test('never touches visible files, other extensions, other jobs, other subtasks or files it does not know', () => {
  const parts = [
    'part-abcdef01-1-7-0.jsonl',                       // committed output
    '.part-abcdef01-1-7-0.csv.pending',                // the same job's csv sink
    '.part-99999999-1-7-0.jsonl.pending',              // a concurrent other job
    '.part-abcdef01-0-7-0.jsonl.pending',              // subtask 0 cleans its own
    '.part-abcdef01-1-7-0.jsonl.pending.bak',          // not a part name
    '.part-abcdef012-1-7-0.jsonl.pending',             // another prefix that starts like ours
    '.hidden-by-the-user',
    'part-abcdef01-1-7-0.jsonl.pending'
  ]
  assert.equal(planCleanup(parts, [], ns, none), { stale: [], blockedBy: undefined })
})

test('cleans the parts of subtasks that no longer exist, each by exactly one subtask', () => {
  const parts = [0, 1, 2, 3, 4, 5, 6].map(s => `.part-abcdef01-${s}-dead-0.jsonl.inprogress`)
  const owners = new Map<string, number[]>()
  for (const subtaskIndex of [0, 1]) {
    for (const name of planCleanup(parts, [], { ...ns, subtaskIndex }, none).stale) owners.set(name, [...owners.get(name) ?? [], subtaskIndex])
  }
  assert.equal([...owners].sort(), parts.map((name, s) => [name, [s % 2]]).sort(), 'every part has exactly one cleaner, s % parallelism')
  assert.ok(cleans(ns, 1) && cleans(ns, 3) && cleans(ns, 5))
  assert.not.ok(cleans(ns, 0) || cleans(ns, 2))
  assert.not.ok(cleans({ ...ns, parallelism: Number.POSITIVE_INFINITY }, 3), 'without a parallelism only its own subtask')
})

test('removes nothing when another job with the same id prefix claims names in its namespace', () => {
  const parts = ['.part-abcdef01-1-dead-0.jsonl.inprogress']
  const other = claimName({ ...ns, jobId: 'abcdef01-other' })
  assert.equal(planCleanup(parts, [claimName(ns), other], ns, none), { stale: [], blockedBy: other })
  // the same job's claim of an orphaned subtask (an earlier, larger parallelism) does not block
  assert.equal(planCleanup(parts, [claimName(ns), claimName({ ...ns, subtaskIndex: 3 })], ns, none).stale, [...parts].sort())
  // a claim in another subtask's namespace does not block either
  assert.equal(planCleanup(parts, [claimName({ ...ns, jobId: 'abcdef01-other', subtaskIndex: 0 })], ns, none).stale, [...parts].sort())
})

test('removes nothing when another sink of the same job writes the same format into the directory', () => {
  const parts = ['.part-abcdef01-1-dead-0.jsonl.inprogress', '.part-abcdef01-1-4-0.jsonl.pending']
  const sibling = claimName({ ...ns, sink: sinkTag('another-sink-op') })
  assert.equal(planCleanup(parts, [sibling, claimName(ns)], ns, none), { stale: [], blockedBy: sibling })
  // one writing csv does not share the names
  assert.equal(planCleanup(parts, [claimName({ ...ns, sink: sinkTag('csv-op'), extension: 'csv' })], ns, none).stale, [...parts].sort())
})

test('sinkTag is stable and tells operators apart', () => {
  assert.is(sinkTag('op-1'), sinkTag('op-1'))
  assert.is.not(sinkTag('op-1'), sinkTag('op-2'))
  assert.match(sinkTag('op-1'), /^[0-9a-f]{8}$/)
  assert.is(sinkTag(undefined), 'sink')
})

test.run()
