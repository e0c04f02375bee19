// Job code survives the loss of the one peer that had it (DESIGN §5, §6): a job submitted
// with `meshflow run --mesh` through the JobManager's peer, whose every task runs on that
// same peer (parallelism 1, and it offers the most slots), so no other peer ever loaded the
// code. The JobManager is SIGKILLed once a checkpoint completed; the new JobManager must
// load the code from its replicas, restart the job on the survivors from the checkpoint,
// and the committed output must be exact.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { waitFor, type NodeProcess } from './node-process.ts'
import { committedLines, expectedWindows, hiddenFiles } from './fixtures/checkpointed-output.ts'

const test = suite('job code replication (processes)')
const JOB = 'test/cluster/fixtures/checkpointed-job.ts'
const COUNT = 40_000
/** The debug namespace whose lines say when a peer's block repair ran. */
const REPAIR_LOG = 'meshflow:storage:replication-maintainer'

interface JobJson {
  id: string
  state: string
  restarts: number
  tasks: { vertex: string, subtask: number, peer: string }[]
  checkpoints?: { completed: number }
  restoreHistory?: { attempt: number, checkpointId: number | null }[]
  error?: string
}

async function jobOf (via: NodeProcess, id: string): Promise<JobJson | undefined> {
  const out = await runMeshflow(['jobs', '--mesh', via.address, '--json'])
  if (out.code !== 0) return undefined
  return (JSON.parse(out.stdout) as JobJson[]).find(j => j.id === id)
}

async function waitForJob (via: () => NodeProcess, id: string, what: string, cond: (j: JobJson) => boolean, ms: number): Promise<JobJson> {
  let last: JobJson | undefined
  await waitFor(what, async () => {
    last = await jobOf(via(), id).catch(() => undefined)
    return last !== undefined && cond(last)
  }, ms).catch(err => { throw new Error(`${(err as Error).message}; the job last: ${JSON.stringify(last)}`) })
  return last!
}

test('SIGKILL of the JobManager that submitted the job and ran all its tasks: the job restarts on the survivors from its checkpoint, output exact', async () => {
  await bounded('jobmanager with every task killed', 150_000, async () => {
    const mesh = new LocalMesh()
    try {
      // the first peer founds the group alone and leads; it offers the most slots, so a
      // job at parallelism 1 runs every subtask there
      const debug = process.env.DEBUG
      process.env.DEBUG = REPAIR_LOG
      try {
        await mesh.add({ args: ['--slots', '4'] })
        await mesh.agreedLeader(25_000, 1)
        for (let i = 0; i < 2; i++) await mesh.add()
      } finally {
        if (debug === undefined) delete process.env.DEBUG
        else process.env.DEBUG = debug
      }
      const leader = await mesh.agreedLeader(25_000, 3)
      assert.is(leader, mesh.nodes[0])
      // a mesh that has been up a while: the JobManager's peer made its repair run over the
      // three members before the job comes (a run after the submission would copy the code
      // to its holders whatever the submission did, and hide what is tested here)
      await waitFor('a block repair over 3 members on the JobManager\'s peer', () => /repair \([^)]*\) over 3 members/.test(leader.stderr), 30_000)
      const out = join(mesh.dir, 'out')
      const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '1', '--detach', '--',
        '--out', out, '--count', String(COUNT), '--interval', '300'], { timeoutMs: 30_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      const live = (): NodeProcess => mesh.live.find(n => n !== leader) ?? mesh.live[0]!
      const running = await waitForJob(live, id, 'a completed checkpoint', j => (j.checkpoints?.completed ?? 0) >= 1 || j.state !== 'RUNNING', 30_000)
      assert.is(running.state, 'RUNNING', running.error)
      assert.ok(running.tasks.length > 0 && running.tasks.every(t => t.peer === leader.id), `every task on the JobManager's peer: ${JSON.stringify(running.tasks)}`)

      leader.kill('SIGKILL')
      await leader.exited
      const done = await waitForJob(live, id, 'the job to end after the kill', j => j.state === 'FINISHED' || j.state === 'FAILED', 90_000)
      assert.is(done.state, 'FINISHED', done.error)
      assert.ok(done.restarts >= 1, `the job restarted (restarts ${done.restarts})`)
      assert.ok(done.tasks.every(t => t.peer !== leader.id), 'no task on the killed peer')
      assert.ok(done.restoreHistory !== undefined && done.restoreHistory.length >= 1 && done.restoreHistory[0]!.checkpointId !== null,
        `restored from a checkpoint, not from scratch: ${JSON.stringify(done.restoreHistory)}`)
      assert.equal(committedLines(out), expectedWindows(COUNT), 'committed output equals the expected output exactly')
      assert.equal(hiddenFiles(out), [], 'no hidden part files are left')
    } finally {
      await mesh.close()
    }
  })
})

test.run()
