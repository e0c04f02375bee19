// Savepoints across peer processes (issue 5): stop a running job with a savepoint at
// parallelism 2, resume it from the savepoint at parallelism 3 into the same output
// directory — the committed output equals an uninterrupted run's, every window exactly
// once; a job that lacks a stateful operator of the savepoint is refused naming its uid.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { waitFor } from './node-process.ts'
import { committedLines, expectedWindows } from './fixtures/checkpointed-output.ts'

const test = suite('savepoints (processes)')
const JOB = 'test/cluster/fixtures/checkpointed-job.ts'
const COUNT = 30_000



test('stop with a savepoint at parallelism 2, resume at parallelism 3: the output equals an uninterrupted run', async () => {
  await bounded('savepoint round trip', 240_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      await mesh.agreedLeader(25_000, 3)
      const via = mesh.nodes[1]!.address
      const out = join(mesh.dir, 'out')
      // 12 s of input at this rate: a loaded machine still stops it midway
      const args = ['--', '--out', out, '--count', String(COUNT), '--rate', '2500', '--interval', '300']
      const first = await runMeshflow(['run', JOB, '--mesh', via, '--parallelism', '2', '--detach', ...args], { timeoutMs: 30_000 })
      assert.is(first.code, 0, first.stderr)
      const id = first.stdout.trim()
      await waitFor('a checkpoint of the first run', async () => {
        const jobs = await runMeshflow(['jobs', '--mesh', via, '--json'])
        const job = (JSON.parse(jobs.stdout) as { id: string, checkpoints?: { completed: number } }[]).find(j => j.id === id)
        return (job?.checkpoints?.completed ?? 0) >= 2
      }, 20_000)

      const stop = await runMeshflow(['stop', id, '--savepoint', 'half-way', '--mesh', via], { timeoutMs: 60_000 })
      assert.is(stop.code, 0, stop.stderr)
      assert.match(stop.stdout, /savepoint half-way of job \S+: checkpoint \d+, cid \S+/)
      const partial = committedLines(out)
      assert.ok(partial.length > 0, 'the stopped job committed what it held for the savepoint')
      assert.ok(partial.length < expectedWindows(COUNT).length, 'the job was stopped before it ended')

      const list = await runMeshflow(['savepoints', '--mesh', via, '--json'])
      const savepoints = JSON.parse(list.stdout) as { name: string, jobId: string }[]
      assert.equal(savepoints.map(s => [s.name, s.jobId]), [['half-way', id]])

      // the rate is no part of the state: the rest goes fast
      const rest = ['--', '--out', out, '--count', String(COUNT), '--rate', '20000', '--interval', '300']
      const resumed = await runMeshflow(['run', JOB, '--mesh', via, '--parallelism', '3', '--from-savepoint', 'half-way', ...rest], { timeoutMs: 60_000 })
      assert.is(resumed.code, 0, resumed.stderr)
      assert.equal(committedLines(out), expectedWindows(COUNT), 'both runs together committed every window exactly once')

      // a job without the savepoint's stateful operator (uid 'sum-per-key') is refused …
      const other = join(mesh.dir, 'other')
      const refused = await runMeshflow(['run', 'test/node/cluster/fixtures/windowed-job.ts', '--mesh', via, '--from-savepoint', 'half-way', '--', '--out', other], { timeoutMs: 30_000 })
      assert.is(refused.code, 1)
      assert.match(refused.stderr, /operator uid 'sum-per-key'/, refused.stderr)
      assert.match(refused.stderr, /--allow-non-restored-state/)
      // … unless it allows non-restored state
      const allowed = await runMeshflow(['run', 'test/node/cluster/fixtures/windowed-job.ts', '--mesh', via, '--from-savepoint', 'half-way', '--allow-non-restored-state', '--', '--out', other, '--count', '3000'], { timeoutMs: 30_000 })
      assert.is(allowed.code, 0, allowed.stderr)
    } finally {
      await mesh.close()
    }
  })
})

test.run()
