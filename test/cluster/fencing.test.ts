// Fencing with separate OS processes (issue 9, item 3): the JobManager is frozen with
// SIGSTOP while a checkpointed job runs, a new leader takes over in a newer term and
// restarts the job, then the old leader is woken with SIGCONT. Whatever its timers send on
// waking (checkpoint triggers of its old term, Raft heartbeats) is not acted on: it rejoins
// as a follower, and the job's committed output is exact.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { firstTo, waitFor, type NodeProcess } from './node-process.ts'
import { committedLines, expectedWindows } from './fixtures/checkpointed-output.ts'

const test = suite('fencing (processes)')
const JOB = 'test/cluster/fixtures/checkpointed-job.ts'

interface JobJson { id: string, state: string, restarts: number, error?: string, checkpoints?: { completed: number } }

async function jobOf (via: NodeProcess, id: string): Promise<JobJson | undefined> {
  const out = await runMeshflow(['jobs', '--mesh', via.address, '--json'])
  if (out.code !== 0) return undefined
  return (JSON.parse(out.stdout) as JobJson[]).find(j => j.id === id)
}

test('a leader frozen with SIGSTOP and woken after a new leader took over acts on nothing: it follows, and the output is exact', async () => {
  const mesh = await LocalMesh.start(3)
  try {
    await bounded('frozen leader', 150_000, async () => {
      const old = await mesh.agreedLeader(25_000, 3)
      const oldTerm = old.state.term
      const out = join(mesh.dir, 'out')
      const count = 30_000
      const submit = await runMeshflow(['run', JOB, '--mesh', old.address, '--parallelism', '2', '--detach', '--',
        '--out', out, '--count', String(count), '--rate', '4000', '--interval', '300'], { timeoutMs: 30_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      const others = mesh.nodes.filter(n => n !== old)
      await waitFor('a completed checkpoint', async () => ((await jobOf(others[0]!, id).catch(() => undefined))?.checkpoints?.completed ?? 0) >= 1, 30_000)
      old.kill('SIGSTOP')
      const next = await firstTo(others, 'a new leader', n => n.isLeader && n.state.term > oldTerm, 30_000)
      // the job restarts without the frozen peer's tasks (it ran some: parallelism 2 on 3 peers, or the sources)
      await waitFor('the new leader to hold the job', async () => (await jobOf(next, id).catch(() => undefined)) !== undefined, 30_000)
      old.kill('SIGCONT')
      await old.waitFor('the old leader to follow the new one', () => old.state.role === 'follower' && old.state.leader === next.id, 30_000)
      let done: JobJson | undefined
      await waitFor('the job to end', async () => {
        done = await jobOf(next, id).catch(() => undefined)
        return done?.state === 'FINISHED' || done?.state === 'FAILED'
      }, 90_000)
      assert.is(done!.state, 'FINISHED', done!.error)
      assert.equal(committedLines(out), expectedWindows(count), 'committed output equals the expected output exactly')
      assert.ok(mesh.nodes.every(n => n.alive))
    })
  } finally {
    await mesh.close()
  }
})

test.run()
