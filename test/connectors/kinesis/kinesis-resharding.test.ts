/**
 * kinesisSource follows resharding while the job runs (the test): records are
 * written before, between and after a SplitShard and a MergeShards — the merge joins
 * shards read by different subtasks — with failures injected after the split and after the merge, and the
 * job's exactly-once output holds every record once, in order per partition key.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { kinesisSource } from 'meshflow/connectors/kinesis'
import {
  REGION, adjacentPair, adminClient, createStream, deleteStream, kinesisEndpoint, memorySink, openShards, perKeyProblems,
  putJson, shardsOf, splitShard, mergeShards, until, type KeyedEvent
} from './helpers.ts'

const test = suite('kinesisSource resharding')

const KEYS = 40
const ROUNDS = 3
const PER_ROUND = 20

/** Round `r` of events: seq r*PER_ROUND .. (r+1)*PER_ROUND-1 of every key, one PutRecords call per seq. */
async function writeRound (admin: ReturnType<typeof adminClient>, stream: string, r: number): Promise<void> {
  for (let seq = r * PER_ROUND; seq < (r + 1) * PER_ROUND; seq++) {
    await putJson(admin, stream, Array.from({ length: KEYS }, (_, k) => ({ key: `key-${k}`, value: { key: `key-${k}`, seq } })))
  }
}

test('SplitShard and MergeShards while the job runs: no record lost or doubled, order per key kept', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 2)
  try {
    await writeRound(admin, stream, 0)
    const out: KeyedEvent[] = []
    const total = KEYS * ROUNDS * PER_ROUND
    // in the middle of the rounds written after the split and after the merge: the restores
    // resume in the children, the filtered halves of the merged shard too
    const failAt = [PER_ROUND * 1.5, PER_ROUND * 2.5]
    let failed = 0
    const stop = new AbortController()
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 50 })
    env.fromSource(kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint, pollIntervalMs: 50, recordsPerFetch: 200, requestTimeoutMs: 3_000 }),
      WatermarkStrategy.noWatermarks<KeyedEvent>(), 'events')
      .map(e => {
        if (failed < failAt.length && e.seq >= failAt[failed]!) {
          failed++
          throw new Error(`injected failure ${failed}`)
        }
        return e
      }).uid('maybe-fail')
      .sinkTo(memorySink(out))
    const job = env.execute('kinesis-resharding', { signal: stop.signal })
    job.catch(() => {})
    await until(() => out.length > KEYS * PER_ROUND / 2, 120_000, () => `the job emitted ${out.length} records of round 0`)

    // split the first shard (read by subtask 0): its reader reads both children after it
    const first = (await shardsOf(admin, stream)).find(s => s.ShardId === 'shardId-000000000000')!
    await splitShard(admin, stream, first)
    await writeRound(admin, stream, 1)

    // merge the upper child with the second root shard (read by subtask 1): two readers, one child
    const [lower, upper] = adjacentPair((await shardsOf(admin, stream)).filter(s => s.ShardId !== 'shardId-000000000002'))
    await mergeShards(admin, stream, lower, upper)
    await writeRound(admin, stream, 2)
    const shards = await shardsOf(admin, stream)
    assert.is(shards.length, 5, 'two roots, two children of the split, one of the merge')
    assert.is(openShards(shards).length, 2)

    await until(() => out.length >= total, 120_000, () => `${out.length} of ${total} records out`)
    stop.abort()
    await job.catch(() => {})
    assert.is(failed, 2, 'both failures were injected')
    assert.equal(perKeyProblems(out, KEYS, ROUNDS * PER_ROUND), [], 'every record once, in order per key')
    assert.is(out.length, total)
  } finally {
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test.run()
