/**
 * kafkaSink exactly-once on a 3-peer mesh of processes: a TaskManager SIGKILLed before the
 * job's first checkpoint completed (checkpoints every 30 s here). Its writer's open
 * transaction is in no checkpoint; the restarted job must still abort it, or read_committed
 * consumers of those partitions see nothing after it until the broker aborts it after the
 * transaction timeout (here the broker's maximum, 15 minutes).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Consumer, Producer, ProduceAcks } from '@platformatic/kafka'
import { LocalMesh, bounded, runMeshflow, until } from '../../cluster/local-mesh.ts'
import type { NodeProcess } from '../../cluster/node-process.ts'
import { brokers, createTopic, deleteTopic, freshName, readCommitted } from './helpers.ts'
import { JOB, produceSales, waitForJob } from './mesh-chaos.ts'

const test = suite('kafka exactly-once on a mesh, kill before the first checkpoint (processes)')
const PARTITIONS = 4

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
