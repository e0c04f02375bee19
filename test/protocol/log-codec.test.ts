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

test.run()
