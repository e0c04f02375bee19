/**
 * End to end on a mesh of processes: Kafka → checkpointed job → Kafka exactly-once sink on 3
 * `meshflow node` processes, input produced before and while the job runs, a TaskManager
 * SIGKILLed twice; an independent read_committed consumer (the Java client) sees every
 * input record exactly once in the output. The job is unbounded: it is cancelled once the
 * output is complete. MESHFLOW_E2E_RUNS=3 repeats it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Consumer, Producer, ProduceAcks } from '@platformatic/kafka'
import { LocalMesh, bounded, runMeshflow, until } from '../../cluster/local-mesh.ts'
import type { NodeProcess } from '../../cluster/node-process.ts'
import { enrich, sale } from './fixtures/kafka-mesh-job.ts'
import { brokers, createTopic, deleteTopic, freshName, readCommitted } from './helpers.ts'
import { JOB, produceSales, runWithTwoKills, waitForJob } from './mesh-chaos.ts'

const test = suite('kafka exactly-once on a mesh (processes)')
const RUNS = Number(process.env.MESHFLOW_E2E_RUNS ?? 1)
const PARTITIONS = 4

for (let run = 1; run <= RUNS; run++) {
  test(`kafkaSource → map → kafkaSink exactly-once, two TaskManagers SIGKILLed: read_committed sees each record once (run ${run})`, async () => {
    await bounded('kafka exactly-once on a mesh', 280_000, async () => {
      const b = await brokers()
      const input = freshName('e2e-in')
      const output = freshName('e2e-out')
      await createTopic(b, input, PARTITIONS)
      await createTopic(b, output, PARTITIONS)
      try {
        const { count, job, killed, elections, producedAtKills, errors } = await runWithTwoKills({
          brokers: b,
          topic: input,
          partitions: PARTITIONS,
          before: 20_000,
          during: 30_000,
          jobArgs: ['--sink', 'kafka', '--out', output, '--txn', freshName('e2e-txn')],
          outputComplete: async count => {
            const seen = await readCommitted(b, output, count, 150_000)
            assert.ok(seen.length >= count, `the output reached ${count} records before the cancel (it has ${seen.length})`)
          }
        })
        console.log(JSON.stringify({ test: 'kafka-mesh-exactly-once', run, records: count, restarts: job.restarts, killed, producedAtKills, elections, checkpoints: job.checkpoints?.completed, restores: job.restoreHistory?.map(r => r.checkpointId), errors }))
        const values = await readCommitted(b, output, count, 60_000)
        const ids = values.map(v => (JSON.parse(v) as { id: number }).id).sort((x, y) => x - y)
        const doubled = ids.filter((id, i) => ids[i - 1] === id)
        assert.equal(doubled, [], 'no record twice')
        assert.is(ids.length, count, 'as many records as the input')
        assert.equal(ids, Array.from({ length: count }, (_, i) => i), 'every input record')
        for (const v of values) {
          const e = JSON.parse(v) as { id: number }
          assert.equal(e, enrich(sale(e.id)))
        }
      } finally {
        await deleteTopic(b, input)
        await deleteTopic(b, output)
      }
    })
  })
}

/** Records in `topic`, committed or not (the sum of the partitions' high watermarks). */
async function written (b: string[], topic: string): Promise<number> {
  const consumer = new Consumer({ clientId: 'meshflow-test', groupId: freshName('e2e-hw'), bootstrapBrokers: b })
  try {
    const offsets = await consumer.listOffsets({ topics: [topic], timestamp: -1n, isolationLevel: 0 })
    return (offsets.get(topic) ?? []).reduce((sum, o) => sum + Number(o), 0)
  } finally {
    await consumer.close()
  }
}

// A TaskManager killed before the job's first checkpoint completed leaves an open
// transaction no checkpoint knows of: the restarted job must abort it, or read_committed
// consumers of those partitions see nothing after it until the broker's transaction
// timeout (here the broker's maximum, 15 minutes) aborts it.
test('kafkaSink exactly-once: a TaskManager SIGKILLed before the first checkpoint leaves no open transaction behind', async () => {
  await bounded('kafka exactly-once, kill before the first checkpoint', 280_000, async () => {
    const b = await brokers()
    const input = freshName('e2e-early-in')
    const output = freshName('e2e-early-out')
    await createTopic(b, input, PARTITIONS)
    await createTopic(b, output, PARTITIONS)
    const COUNT = 20_000
    const producer = new Producer({ clientId: 'meshflow-test', bootstrapBrokers: b, acks: ProduceAcks.ALL, idempotent: true })
    const mesh = await LocalMesh.start(3)
    try {
      await produceSales(producer, input, 0, COUNT, PARTITIONS)
      let leader = await mesh.agreedLeader(30_000, 3)
      const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '3', '--detach', '--',
        '--brokers', b.join(','), '--in', input, '--interval', '30000', '--sink', 'kafka', '--out', output,
        '--txn', freshName('e2e-early-txn'), '--txn-timeout', '900000'], { timeoutMs: 60_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      const via = (): NodeProcess => mesh.live.find(n => n.isLeader) ?? mesh.live[0]!
      // every sink subtask has written into its open transaction (nothing is committed yet)
      await waitForJob(via, id, 'the job running', j => j.state === 'RUNNING', 60_000)
      await until('half the input written to the output topic', 120_000, async () => await written(b, output) >= COUNT / 2)
      leader = await mesh.agreedLeader(60_000, 3)
      const running = await waitForJob(via, id, 'the job running', j => j.state === 'RUNNING', 60_000)
      assert.is(running.checkpoints?.completed ?? 0, 0, 'killed before the first checkpoint completed')
      const withTasks = new Set(running.tasks.map(t => t.peer))
      const victim = mesh.live.find(n => n !== leader && withTasks.has(n.id))!
      victim.kill('SIGKILL')
      await victim.exited
      const restarted = await waitForJob(via, id, 'the restart', j => j.state === 'RUNNING' && j.restarts >= 1, 120_000)
      assert.is(restarted.restoreHistory?.at(-1)?.checkpointId, null, 'restarted from scratch: no checkpoint had completed')
      const seen = await readCommitted(b, output, COUNT, 150_000)
      assert.ok(seen.length >= COUNT, `read_committed sees the whole output (${seen.length} of ${COUNT}) long before the broker aborts the killed writer's transaction`)
      const cancel = await runMeshflow(['cancel', id, '--mesh', via().address], { timeoutMs: 30_000 })
      assert.is(cancel.code, 0, cancel.stderr)
      await waitForJob(via, id, 'the job to be cancelled', j => j.state === 'CANCELED', 60_000)
      const ids = (await readCommitted(b, output, COUNT, 60_000)).map(v => (JSON.parse(v) as { id: number }).id).sort((x, y) => x - y)
      assert.equal(ids, Array.from({ length: COUNT }, (_, i) => i), 'every input record once')
    } finally {
      await producer.close()
      await mesh.close()
      await deleteTopic(b, input)
      await deleteTopic(b, output)
    }
  })
})

test.run()
