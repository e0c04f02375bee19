// datasetSink across `meshflow node` processes (issue 12): a 3-peer mesh runs a
// checkpointed job that appends a rate-limited stream to a dataset; a TaskManager peer
// running its tasks is SIGKILLed after a checkpoint completed; the job restarts from its
// latest checkpoint on the live peers, and the dataset — read back by a streaming job
// through datasetSource — holds every record exactly once.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { sleep, waitFor, type NodeProcess } from './node-process.ts'
import { ev, type Ev } from './fixtures/dataset-sink-job.ts'
import { MeshClient } from '../../node/cluster/mesh-client.ts'

const test = suite('datasetSink (processes)')
const JOB = 'test/cluster/fixtures/dataset-sink-job.ts'
const COUNT = 20_000

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
  }, ms)
  return last!
}

/** The records in the committed (not hidden) jsonl files under `dir`. */
function committedRecords (dir: string): Ev[] {
  const rows: Ev[] = []
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as Ev)
  }
  return rows
}

test('SIGKILL of a TaskManager while a stream is appended to a dataset: every record once', async () => {
  await bounded('dataset sink chaos', 180_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      const leader = await mesh.agreedLeader(25_000, 3)
      const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '2', '--detach', '--',
        '--count', String(COUNT), '--interval', '300'], { timeoutMs: 30_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      const live = (): NodeProcess => mesh.live.find(n => n !== leader) ?? leader
      // a checkpoint completed (and so, most likely, a version was appended) before the kill
      const running = await waitForJob(live, id, 'a completed checkpoint', j => (j.checkpoints?.completed ?? 0) >= 2, 30_000)
      assert.is(running.state, 'RUNNING')
      await sleep(300)
      const withTasks = new Set(running.tasks.map(t => t.peer))
      const victim = mesh.nodes.find(n => n !== leader && withTasks.has(n.id))
      assert.ok(victim !== undefined, 'a TaskManager other than the leader runs tasks')
      victim.kill('SIGKILL')
      await victim.exited
      const done = await waitForJob(() => leader, id, 'the job to finish after the kill', j => j.state === 'FINISHED' || j.state === 'FAILED', 90_000)
      assert.is(done.state, 'FINISHED', done.error)
      assert.ok(done.restarts >= 1, `the job restarted (restarts ${done.restarts})`)
      assert.ok(done.restoreHistory![0]!.checkpointId !== null, 'restored from a checkpoint, not from scratch')

      // read it back through datasetSource, on the live peers
      const out = join(mesh.dir, 'read')
      const read = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '2', '--', '--mode', 'read', '--out', out], { timeoutMs: 60_000 })
      assert.is(read.code, 0, read.stderr)
      const rows = committedRecords(out)
      const times = new Map<number, number>()
      for (const r of rows) times.set(r.id, (times.get(r.id) ?? 0) + 1)
      const wrong = [...Array(COUNT).keys()].filter(i => times.get(i) !== 1)
      assert.equal(wrong.slice(0, 10).map(i => `${i}: ${times.get(i) ?? 0} times`), [], `${wrong.length} records not exactly once`)
      assert.is(rows.length, COUNT)
      assert.equal(rows.find(r => r.id === 123), ev(123))

      const client = await MeshClient.connect({ mesh: leader.address, signal: AbortSignal.timeout(10_000) })
      try {
        const detail = await client.showDataset('events', { signal: AbortSignal.timeout(10_000) })
        assert.is(detail.rows, COUNT)
        assert.ok(detail.version >= 2, `a version per checkpoint with input (latest ${detail.version})`)
      } finally {
        await client.close()
      }
    } finally {
      await mesh.close()
    }
  })
})

test.run()
