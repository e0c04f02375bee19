/**
 * End to end on a mesh of processes: Kafka → checkpointed job → the Parquet lake (Hive
 * partitioned by store) on 3 `meshflow node` processes sharing an output directory, input
 * produced before and while the job runs, a TaskManager SIGKILLed twice; DuckDB counts
 * exactly the input in the lake. The job is unbounded: it is cancelled once the lake is
 * complete. MESHFLOW_E2E_RUNS=3 repeats it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bounded, until } from '../../cluster/local-mesh.ts'
import { duck, lit } from '../files/duckdb.ts'
import { enrich, sale } from './fixtures/kafka-mesh-job.ts'
import { brokers, createTopic, deleteTopic, freshName } from './helpers.ts'
import { runWithTwoKills } from './mesh-chaos.ts'

const test = suite('kafka to the Parquet lake on a mesh (processes)')
const RUNS = Number(process.env.MESHFLOW_E2E_RUNS ?? 1)
const PARTITIONS = 4

async function lakeCount (dir: string): Promise<{ n: number, ids: number }> {
  const [row] = await duck(`select count(*)::integer as n, count(distinct id)::integer as ids from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true)`)
  return row as { n: number, ids: number }
}

for (let run = 1; run <= RUNS; run++) {
  test(`kafkaSource → map → parquetSink by store, two TaskManagers SIGKILLed: DuckDB counts exactly the input (run ${run})`, async () => {
    await bounded('kafka to the lake on a mesh', 280_000, async () => {
      const b = await brokers()
      const input = freshName('e2e-lake-in')
      const dir = mkdtempSync(join(tmpdir(), 'meshflow-lake-'))
      await createTopic(b, input, PARTITIONS)
      try {
        const { count, job, killed, elections, producedAtKills, errors } = await runWithTwoKills({
          brokers: b,
          topic: input,
          partitions: PARTITIONS,
          before: 20_000,
          during: 30_000,
          // one directory every peer writes to (one machine): parts are committed by rename
          jobArgs: ['--sink', 'parquet', '--path', dir],
          outputComplete: async count => {
            let last = { n: 0, ids: 0 }
            await until(`${count} ids in the lake (last ${JSON.stringify(last)})`, 150_000, async () => {
              last = await lakeCount(dir).catch(() => last)
              return last.ids >= count
            })
          }
        })
        console.log(JSON.stringify({ test: 'kafka-mesh-lake', run, records: count, restarts: job.restarts, killed, producedAtKills, elections, checkpoints: job.checkpoints?.completed, restores: job.restoreHistory?.map(r => r.checkpointId), errors }))
        assert.equal(await lakeCount(dir), { n: count, ids: count }, 'every input record exactly once in the lake')
        const rows = await duck(`select id, store, amount, cents from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true) order by id`)
        assert.is(rows.length, count)
        for (const [i, r] of rows.entries()) {
          assert.equal({ id: Number(r.id), store: String(r.store), amount: Number(r.amount), cents: Number(r.cents) }, enrich(sale(i)))
        }
        const stores = await duck(`select store, count(*)::integer as n from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true) group by store order by store`)
        assert.equal(stores.map(s => s.store), ['s0', 's1', 's2', 's3', 's4'], 'one Hive partition per store')
      } finally {
        await deleteTopic(b, input)
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

test.run()
