// Chaos tests with separate OS processes (issue 5): a mesh of `meshflow node` processes runs
// a checkpointed keyed windowed job into the exactly-once file sink; a TaskManager peer, or
// the JobManager, is SIGKILLed while the job runs; the job restarts from its latest
// checkpoint on the live peers and its committed output equals the expected output exactly.
// Seeds pick the moment of the kill: MESHFLOW_CHAOS_SEEDS=1,2,3,4,5 runs more.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { sleep, waitFor, type NodeProcess } from './node-process.ts'
import { committedLines, expectedWindows, hiddenFiles } from './fixtures/checkpointed-output.ts'

const test = suite('recovery (processes)')
const JOB = 'test/cluster/fixtures/checkpointed-job.ts'
const COUNT = 40_000
const SEEDS = (process.env.MESHFLOW_CHAOS_SEEDS ?? '1').split(',').map(Number)

interface JobJson {
  id: string
  state: string
  restarts: number
  tasks: { vertex: string, subtask: number, peer: string }[]
  checkpoints?: { completed: number, latest?: { id: number } }
  restoreHistory?: { attempt: number, checkpointId: number | null }[]
  error?: string
}



/** A small deterministic generator for the kill moment. */
function random (seed: number): () => number {
  let s = seed * 2654435761 % 4294967296
  return () => { s = (s * 1664525 + 1013904223) % 4294967296; return s / 4294967296 }
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
  }, ms)
  return last!
}

async function chaos (victim: 'taskmanager' | 'jobmanager' | 'frozen-taskmanager', seed: number): Promise<void> {
  const mesh = await LocalMesh.start(4)
  try {
    const leader = await mesh.agreedLeader(25_000, 4)
    const out = join(mesh.dir, 'out')
    const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '4', '--detach', '--',
      '--out', out, '--count', String(COUNT), '--interval', '500'], { timeoutMs: 30_000 })
    assert.is(submit.code, 0, submit.stderr)
    const id = submit.stdout.trim()
    let frozen: NodeProcess | undefined
    // a frozen peer is alive but answers nothing: ask another
    const live = (): NodeProcess => mesh.live.find(n => n !== leader && n !== frozen && n.alive) ?? mesh.live.find(n => n !== frozen)!
    const running = await waitForJob(live, id, 'a completed checkpoint', j => (j.checkpoints?.completed ?? 0) >= 1, 20_000)
    assert.is(running.state, 'RUNNING')
    // kill somewhere in the next 1.5 s, while the job still runs (it takes about 5 s)
    await sleep(Math.floor(random(seed)() * 1_500))
    let killed: NodeProcess
    if (victim === 'jobmanager') {
      killed = leader
    } else {
      const withTasks = new Set(running.tasks.map(t => t.peer))
      killed = mesh.nodes.find(n => n !== leader && withTasks.has(n.id))!
    }
    let before: JobJson | undefined
    if (victim === 'frozen-taskmanager') {
      // frozen with its connections open: only its missed heartbeats tell; once the job
      // restarted without it, it wakes up as a zombie still running the old attempt
      frozen = killed
      killed.kill('SIGSTOP')
      before = await waitForJob(live, id, 'a restart without the frozen peer', j => j.restarts >= 1 || j.state === 'FINISHED', 30_000)
      killed.kill('SIGCONT')
      frozen = undefined
    } else {
      killed.kill('SIGKILL')
      await killed.exited
      before = await jobOf(live(), id).catch(() => undefined)
    }
    const done = await waitForJob(live, id, 'the job to finish after the kill', j => j.state === 'FINISHED' || j.state === 'FAILED', 60_000)
    assert.is(done.state, 'FINISHED', done.error)
    if (before?.state !== 'FINISHED' && before?.restarts !== 0) {
      assert.ok(done.restarts >= 1, `the job restarted (restarts ${done.restarts})`)
      // it restored a checkpoint taken before the kill: the killed peer's state chunks and
      // the manifest were read from the other replicas (R = 3 of 4 peers)
      assert.ok(done.restoreHistory!.length >= 1)
      assert.ok(done.restoreHistory![0]!.checkpointId !== null, 'restored from a checkpoint, not from scratch')
      assert.ok(done.tasks.every(t => t.peer !== killed.id), 'no task on the killed peer')
    }
    assert.equal(committedLines(out), expectedWindows(COUNT), 'committed output equals the expected output exactly')
    // the killed attempt's hidden parts were removed once the restarted one completed a
    // checkpoint, and nothing hidden is left at the end (issue 9)
    assert.equal(hiddenFiles(out), [], 'no hidden part files are left')
  } finally {
    await mesh.close()
  }
}

for (const seed of SEEDS) {
  test(`SIGKILL of a TaskManager peer (seed ${seed}): the job restarts from its checkpoint and commits every window exactly once`, async () => {
    await bounded('taskmanager chaos', 120_000, async () => { await chaos('taskmanager', seed) })
  })
}

test('SIGSTOP of a TaskManager peer, then SIGCONT once the job restarted without it: the zombie commits nothing, the output is exact', async () => {
  await bounded('frozen taskmanager', 120_000, async () => { await chaos('frozen-taskmanager', SEEDS[0]! + 200) })
})

test('SIGKILL of the JobManager: a new leader restarts the job from the log and the output is exact', async () => {
  await bounded('jobmanager chaos', 120_000, async () => { await chaos('jobmanager', SEEDS[0]! + 100) })
})

test.run()
