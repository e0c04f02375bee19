/**
 * End to end on a mesh of processes: Kafka → checkpointed job → Kafka exactly-once sink on 3
 * `meshflow node` processes, input produced before and while the job runs, a TaskManager
 * SIGKILLed twice; an independent read_committed consumer (the Java client) sees every
 * input record exactly once in the output. The job is unbounded: it is cancelled once the
 * output is complete. MESHFLOW_E2E_RUNS=3 repeats it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { bounded } from '../../cluster/local-mesh.ts'
import { enrich, sale } from './fixtures/kafka-mesh-job.ts'
import { brokers, createTopic, deleteTopic, freshName, readCommitted } from './helpers.ts'
import { runWithTwoKills } from './mesh-chaos.ts'

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

test.run()
