/**
 * The RabbitMQ source on a mesh of three `meshflow node` processes, with the TaskManager
 * that runs it SIGKILLed between a checkpoint and its completion: the source task has
 * snapshotted checkpoint k (its messages are read, not acked) and the sink holds k's
 * pre-commit (fixtures/slow-commit-job.ts), so k never completes. The job restarts from
 * checkpoint k-1 on the live peers; the broker requeues what the dead consumer held.
 * Nothing is lost, and with `exactlyOnce` the exactly-once output holds every message once.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow } from '../../cluster/local-mesh.ts'
import type { NodeProcess } from '../../cluster/node-process.ts'
import { brokerUrl, committedJson, createQueue, deleteQueue, publishJson, records, until } from './helpers.ts'

const test = suite('rabbitmqSource TaskManager kill (processes)')
const JOB = 'test/connectors/rabbitmq/fixtures/slow-commit-job.ts'
const N = 1_500

interface JobJson {
  id: string, state: string, restarts: number, error?: string
  tasks: { vertex: string, subtask: number, peer: string }[]
  restoreHistory?: { attempt: number, checkpointId: number | null }[]
}

async function jobOf (via: NodeProcess, id: string): Promise<JobJson | undefined> {
  const out = await runMeshflow(['jobs', '--mesh', via.address, '--json'])
  if (out.code !== 0) return undefined
  return (JSON.parse(out.stdout) as JobJson[]).find(j => j.id === id)
}

/** The checkpoint id and pid of each pre-commit or commit the sink started (`prepare-<id>-<pid>`, `commit-<id>-<pid>`). */
function markersOf (dir: string, kind: 'prepare' | 'commit'): { checkpointId: number, pid: number }[] {
  return readdirSync(dir).map(n => new RegExp(`^${kind}-(\\d+)-(\\d+)$`).exec(n)).filter(m => m !== null)
    .map(m => ({ checkpointId: Number(m[1]), pid: Number(m[2]) }))
    .sort((a, b) => b.checkpointId - a.checkpointId)
}

/**
 * Where the kill lands: `before-completion` — the source snapshotted checkpoint k and the
 * sink holds k's pre-commit, so k never completes (the job restores k-1; what was read
 * after k-1's barrier is unacked and comes back); `before-acks` — k completed and the sink
 * holds its commit, so the source never hears of it and never acks k's messages (the job
 * restores k, whose output holds them: only exactlyOnce's ids keep their redeliveries out).
 */
type Window = 'before-completion' | 'before-acks'

async function killTaskManager (window: Window, exactlyOnce: boolean): Promise<void> {
  const url = await brokerUrl()
  const queue = await createQueue(url, exactlyOnce ? 'tm-kill-eo' : 'tm-kill')
  // the first peer alone elects itself JobManager; the two TaskManagers that join are the
  // only peers labelled for the job's tasks, so the kill never takes the JobManager along
  const mesh = await LocalMesh.start(1)
  try {
    await mesh.agreedLeader(25_000, 1)
    for (let i = 0; i < 2; i++) await mesh.add({ args: ['--label', 'tier=worker'] })
    await publishJson(url, queue, records(N))
    const leader = await mesh.agreedLeader(25_000, 3)
    const out = join(mesh.dir, 'out')
    const markers = join(mesh.dir, 'markers')
    mkdirSync(markers, { recursive: true })
    const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--detach', '--',
      '--url', url, '--queue', queue, '--out', out, '--markers', markers, '--exactlyOnce', String(exactlyOnce),
      '--interval', '200', window === 'before-completion' ? '--hold' : '--holdCommit', '2000', '--prefetch', '300', '--tier', 'worker'], { timeoutMs: 30_000 })
    assert.is(submit.code, 0, submit.stderr)
    const id = submit.stdout.trim()

    // some output is committed, then the next held pre-commit (or commit) begins: kill its peer
    // within the 2 s it is held
    const kind = window === 'before-completion' ? 'prepare' : 'commit'
    let victim: { checkpointId: number, pid: number } | undefined
    let heldBefore = Infinity
    await until(`a held ${kind} after some committed output`, 60_000, async () => {
      const latest = markersOf(markers, kind)[0]
      if (heldBefore === Infinity) {
        if ((await committedJson(out)).length > 0) heldBefore = latest?.checkpointId ?? 0
        return false
      }
      if (latest === undefined || latest.checkpointId <= heldBefore) return false
      victim = latest
      return true
    })
    const node = mesh.nodes.find(n => n.child.pid === victim!.pid)
    assert.ok(node !== undefined, `the pre-commit ran in a mesh node (pid ${victim!.pid})`)
    assert.ok(node !== leader, 'the victim is a TaskManager, not the JobManager')
    const committedBefore = (await committedJson(out)).length
    node.kill('SIGKILL')
    await node.exited
    assert.ok(committedBefore < N, 'the kill came while messages were still to be read')

    const live = (): NodeProcess => mesh.live.find(n => n.alive)!
    let got: { id: number }[] = []
    await until(`all ${N} messages in the committed output after the kill`, 90_000, async () => {
      got = await committedJson<{ id: number }>(out)
      return new Set(got.map(r => r.id)).size === N
    }).catch(async err => {
      const job = await jobOf(live(), id).catch(() => undefined)
      throw new Error(`${(err as Error).message}: ${new Set(got.map(r => r.id)).size} distinct committed, job ${JSON.stringify(job)}, held ${kind}s ${JSON.stringify(markersOf(markers, kind))}, killed pid ${victim!.pid} at checkpoint ${victim!.checkpointId}`)
    })
    const job = await jobOf(live(), id)
    assert.ok(job !== undefined && job.restarts >= 1, `the job restarted (restarts ${job?.restarts})`)
    const restored = job!.restoreHistory?.[0]?.checkpointId
    if (window === 'before-completion') {
      assert.ok(restored !== null && restored !== undefined && restored < victim!.checkpointId,
        `the job restored a checkpoint before ${victim!.checkpointId}, the one the kill left incomplete (restored ${restored})`)
    } else {
      assert.ok(restored !== null && restored !== undefined && restored >= victim!.checkpointId,
        `the job restored checkpoint ${victim!.checkpointId} (or later), which completed before the kill (restored ${restored})`)
    }
    if (exactlyOnce) assert.is(got.length, N, 'every message committed exactly once')
    else assert.ok(got.length >= N)
    const cancel = await runMeshflow(['cancel', id, '--mesh', live().address], { timeoutMs: 30_000 })
    assert.is(cancel.code, 0, cancel.stderr)
  } finally {
    await mesh.close()
    await deleteQueue(url, queue)
  }
}

test('SIGKILL of the TaskManager between a checkpoint and its completion: nothing is lost (at-least-once)', async () => {
  await bounded('taskmanager kill', 180_000, async () => { await killTaskManager('before-completion', false) })
})

test('SIGKILL of the TaskManager between a checkpoint and its completion: with exactlyOnce nothing is doubled', async () => {
  await bounded('taskmanager kill (exactlyOnce)', 180_000, async () => { await killTaskManager('before-completion', true) })
})

test('SIGKILL of the TaskManager after a checkpoint completed, before its source acked: with exactlyOnce nothing is doubled', async () => {
  await bounded('taskmanager kill before acks (exactlyOnce)', 180_000, async () => { await killTaskManager('before-acks', true) })
})

test.run()
