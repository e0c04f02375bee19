/**
 * The run of the Kafka end-to-end tests on a 3-peer mesh of `meshflow node` processes:
 * input produced before and while the job (fixtures/kafka-mesh-job.ts) runs, and a
 * TaskManager SIGKILLed twice, each time once the job is recovered from its checkpoint.
 * The caller says when the output is complete; the job is then cancelled (it is unbounded).
 */
import * as assert from 'uvu/assert'
import { Producer, ProduceAcks } from '@platformatic/kafka'
import { LocalMesh, jobOf, runMeshflow, type JobJson } from '../../cluster/local-mesh.ts'

export { jobOf, type JobJson }
import { sleep, type NodeProcess } from '../../cluster/node-process.ts'
import { sale } from './fixtures/kafka-mesh-job.ts'

export const JOB = 'test/connectors/kafka/fixtures/kafka-mesh-job.ts'


/**
 * Polls `meshflow jobs --json` (a CLI process each time, so not more than every 500 ms on a
 * busy machine) until `cond` holds; fails early when the job failed. Every restart error
 * seen is added to `errors`.
 */
export async function waitForJob (via: () => NodeProcess, id: string, what: string, cond: (j: JobJson) => boolean, ms: number, errors?: Set<string>): Promise<JobJson> {
  let last: JobJson | undefined
  const deadline = Date.now() + ms
  for (;;) {
    last = await jobOf(via(), id).catch(() => undefined) ?? last
    if (last?.error !== undefined) errors?.add(`restarts ${last.restarts}: ${last.error}`)
    if (last?.state === 'FAILED') throw new Error(`The job failed while waiting for ${what}: ${last.error ?? '?'}`)
    if (last !== undefined && cond(last)) return last
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`)
    await sleep(500)
  }
}

/** Produces JSON sales `from..to-1` round-robin over `partitions`, 1,000 a request (idempotent, see helpers.ts). */
export async function produceSales (producer: Producer, topic: string, from: number, to: number, partitions: number): Promise<void> {
  for (let i = from; i < to; i += 1_000) {
    const ids = Array.from({ length: Math.min(1_000, to - i) }, (_, j) => i + j)
    await producer.send({ messages: ids.map(id => ({ topic, partition: id % partitions, value: Buffer.from(JSON.stringify(sale(id))) })) })
  }
}

export interface ChaosOptions {
  readonly brokers: string[]
  readonly topic: string
  readonly partitions: number
  /** Records produced before the job is submitted. */
  readonly before: number
  /** At most this many more are produced while the job runs, until the second recovery. */
  readonly during: number
  /** Job arguments after `--brokers/--in` (the sink's). */
  readonly jobArgs: readonly string[]
  /** Resolves once the output holds (at least) records 0..count-1. */
  readonly outputComplete: (count: number) => Promise<void>
}

export interface ChaosResult {
  /** Records produced: ids 0..count-1. */
  readonly count: number
  readonly job: JobJson
  readonly killed: string[]
  /** How many times a peer became leader (1 without a JobManager change). */
  readonly elections: number
  /** How many records had been produced at each kill. */
  readonly producedAtKills: number[]
  /** The reasons of the restarts `jobs --json` showed. */
  readonly errors: string[]
}

/** The job recovered after restart number `restarts`: running, and a checkpoint completed since its restore. */
function recovered (restarts: number): (j: JobJson) => boolean {
  return j => {
    const restore = j.restoreHistory?.at(-1)
    const latest = j.checkpoints?.latest
    return j.state === 'RUNNING' && j.restarts >= restarts && restore !== undefined && latest !== undefined && latest.at > restore.at
  }
}

/**
 * Starts a 3-peer mesh, submits the job with parallelism 3 (a subtask on every peer),
 * produces while it runs, SIGKILLs a TaskManager (a peer running tasks, not the
 * JobManager), waits for the recovery, brings that peer back, SIGKILLs the other
 * TaskManager, waits again, waits for the output to be complete and cancels the job.
 */
export async function runWithTwoKills (o: ChaosOptions): Promise<ChaosResult> {
  const mesh = await LocalMesh.start(3)
  const producer = new Producer({ clientId: 'meshflow-test', bootstrapBrokers: o.brokers, acks: ProduceAcks.ALL, idempotent: true })
  let stop = false
  let produced = 0
  let producing: Promise<void> = Promise.resolve()
  try {
    await produceSales(producer, o.topic, 0, o.before, o.partitions)
    produced = o.before
    let leader = await mesh.agreedLeader(30_000, 3)
    const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '3', '--detach', '--',
      '--brokers', o.brokers.join(','), '--in', o.topic, '--interval', '500', ...o.jobArgs], { timeoutMs: 60_000 })
    assert.is(submit.code, 0, submit.stderr)
    const id = submit.stdout.trim()
    // more input while the job runs and is killed (both times, mostly): 100 records about every 100 ms
    producing = (async () => {
      while (!stop && produced < o.before + o.during) {
        const next = Math.min(produced + 100, o.before + o.during)
        await produceSales(producer, o.topic, produced, next, o.partitions)
        produced = next
        await sleep(100)
      }
    })()
    // any live peer answers `jobs` from its copy of the metadata log
    const via = (): NodeProcess => mesh.live.find(n => n.isLeader) ?? mesh.live[0]!
    const killed: string[] = []
    const victims: NodeProcess[] = []
    const producedAtKills: number[] = []
    const errors = new Set<string>()
    let running = await waitForJob(via, id, 'a completed checkpoint', j => j.state === 'RUNNING' && (j.checkpoints?.completed ?? 0) >= 1, 60_000, errors)
    for (let kill = 1; kill <= 2; kill++) {
      // the JobManager now (a busy machine may have elected another one meanwhile)
      leader = await mesh.agreedLeader(60_000, 3)
      running = await waitForJob(via, id, 'the job running', j => j.state === 'RUNNING', 60_000, errors)
      const withTasks = new Set(running.tasks.map(t => t.peer))
      const victim = mesh.live.find(n => n !== leader && withTasks.has(n.id))
      assert.ok(victim !== undefined, `a TaskManager other than the JobManager runs tasks: ${JSON.stringify(running.tasks)}`)
      const restartsBefore = running.restarts
      victim.kill('SIGKILL')
      await victim.exited
      producedAtKills.push(produced)
      victims.push(victim)
      killed.push(`${victim.name}${victim.id === leader.id ? ' (JobManager)' : ''}`)
      running = await waitForJob(via, id, `the recovery after kill ${kill}`, recovered(restartsBefore + 1), 120_000, errors)
      assert.ok(running.restoreHistory!.at(-1)!.checkpointId !== null, 'restored from a checkpoint, not from scratch')
      assert.ok(running.tasks.every(t => t.peer !== victim.id), 'no task on the killed peer')
      if (kill === 1) {
        // back to three peers (two of three are needed for a quorum after the next kill),
        // and checkpoints taken while all three are up, so their blocks are on the survivors
        await mesh.restart(victim)
        await mesh.agreedLeader(60_000, 3)
        const after = running.checkpoints!.latest!.id
        running = await waitForJob(via, id, 'a checkpoint after the peer rejoined', j => j.state === 'RUNNING' && (j.checkpoints?.latest?.id ?? 0) > after + 1, 60_000, errors)
      }
    }
    stop = true
    await producing
    await o.outputComplete(produced)
    const cancel = await runMeshflow(['cancel', id, '--mesh', via().address], { timeoutMs: 30_000 })
    assert.is(cancel.code, 0, cancel.stderr)
    const job = await waitForJob(via, id, 'the job to be cancelled', j => j.state === 'CANCELED', 60_000, errors)
    assert.ok(job.restarts >= 2, `at least one restart per kill (${job.restarts})`)
    const leaderTerms = new Set([...mesh.nodes, ...victims].flatMap(n => n.lines.filter(l => l.startsWith('role leader'))))
    return { count: produced, job, killed, elections: leaderTerms.size, producedAtKills, errors: [...errors] }
  } finally {
    stop = true
    await producing.catch(() => {})
    await producer.close()
    await mesh.close()
  }
}
