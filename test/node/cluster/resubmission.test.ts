/**
 * A submission sent again with the job id the client chose (after a leadership change left
 * its outcome unknown) answers with the job the first one made: one job, not two; an id
 * that belongs to another job is refused.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Peer } from '../../../node/cluster/peer.ts'
import type { ClientMessage } from '../../../protocol/client.ts'

const test = suite('resubmission')

test('the same submission twice makes one job; another job under that id is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-resubmit-'))
  const peer = await Peer.start({ dataDir: dir, embedded: true, threads: 0 })
  try {
    await peer.mark('test')
    const jobs = peer.jobService
    const code = (await jobs.storage.putLarge(new TextEncoder().encode('export default 1'))).toString()
    const other = (await jobs.storage.putLarge(new TextEncoder().encode('export default 2'))).toString()
    const jobId = randomUUID()
    const submission = (codeCid: string): ClientMessage => ({ type: 'submit-job', id: 0, name: 'twice', codeCid, args: {}, parallelism: 1, submitter: peer.id, jobId })
    // the code is not a job: the first submission is refused, and a refused one leaves nothing behind
    const refused = await jobs.answer(submission(code))
    assert.is(refused?.type, 'error-response')
    assert.is(jobs.registry.job(jobId), undefined)

    const job = await peer.submit(new URL('../runtime/threads/fixtures/threads-job.ts', import.meta.url), { parallelism: 1, args: { mode: 'windows', count: '100', out: join(dir, 'out') } })
    assert.equal(await job.result(), { state: 'FINISHED', error: undefined })
    const record = jobs.registry.job(job.id)!
    const again: ClientMessage = { type: 'submit-job', id: 0, name: record.name, codeCid: record.codeCid, args: { ...record.args }, parallelism: 1, submitter: peer.id, jobId: job.id }
    const before = jobs.registry.jobs.length
    assert.equal(await jobs.answer(again), { type: 'submit-job-response', id: 0, jobId: job.id })
    assert.is(jobs.registry.jobs.length, before, 'no second job')
    const clash = await jobs.answer({ ...again, codeCid: other })
    assert.is(clash?.type, 'error-response')
    assert.match((clash as { message: string }).message, new RegExp(`Job id ${job.id} belongs to another job \\('${record.name}'\\)`))
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
