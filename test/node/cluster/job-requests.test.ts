/**
 * How the JobManager answers a request that threw: which failures a client may send the
 * request again after (the leadership moved, nothing was proposed) and which are final.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { errorAnswer } from '../../../node/cluster/job-requests.ts'
import { JobRejectedError } from '../../../node/cluster/errors.ts'
import { NotLeaderError } from '../../../node/cluster/raft/errors.ts'

const test = suite('errorAnswer')

test('a Raft node that stepped down before proposing answers no-leader, retriable (a submission under a leader change is sent again)', () => {
  const answer = errorAnswer(7, new NotLeaderError('12D3KooWA', '12D3KooWB'))
  assert.equal(answer, { type: 'error-response', id: 7, code: 'no-leader', message: 'Raft node 12D3KooWA is not the leader (leader is 12D3KooWB)', retriable: true })
})

test('a rejected job is final', () => {
  const answer = errorAnswer(8, new JobRejectedError('Job id x belongs to another job'))
  assert.is(answer.type, 'error-response')
  assert.is((answer as { retriable: boolean }).retriable, false)
  assert.is((answer as { code: string }).code, 'bad-request')
})

test('an unknown failure is internal and final', () => {
  const answer = errorAnswer(9, new Error('boom'))
  assert.equal(answer, { type: 'error-response', id: 9, code: 'internal', message: 'boom', retriable: false })
})

test.run()
