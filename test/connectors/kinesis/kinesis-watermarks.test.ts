/**
 * kinesisSource's per-shard watermarks against the real kinesalite: one source subtask reads
 * two shards, one an hour behind the other in event time; the shard behind holds the
 * watermark back, so none of its records is late and its windows fire. A shard split while
 * the job runs: the closed parent no longer holds the watermark once read out.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { OutputTag, StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'meshflow'
import { kinesisSource } from 'meshflow/connectors/kinesis'
import { REGION, adminClient, createStream, deleteStream, kinesisEndpoint, shardsOf, splitShard, until } from './helpers.ts'

const test = suite('kinesisSource watermarks')

interface Ev { readonly id: number, readonly ts: number }
const HOUR = 3_600_000

/**
 * Puts `n` events 10 ms apart from `from` into the shard whose hash range starts at
 * `hashKey`, or spread over the open shards by partition key.
 */
async function putToShard (client: KinesisClient, stream: string, hashKey: string | undefined, n: number, from: number): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const records = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
      PartitionKey: `k${i + j}`, ...(hashKey === undefined ? {} : { ExplicitHashKey: hashKey }),
      Data: Buffer.from(JSON.stringify({ id: i + j, ts: from + (i + j) * 10 }))
    }))
    const answer = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }))
    if ((answer.FailedRecordCount ?? 0) > 0) throw new Error(`${answer.FailedRecordCount} records failed`)
  }
}

/** An unbounded job at p=1: stream -> count per 1 s tumbling event-time window, late records to a side output. */
function windowJob (stream: string, endpoint: string, signal: AbortSignal): {
  windows: { values: Array<[number, number]> }, late: { values: Ev[] }, read: () => number, job: Promise<unknown>
} {
  const env = StreamEnvironment.create({ parallelism: 1 })
  let read = 0
  const lateTag = new OutputTag<Ev>('late')
  const windowed = env.fromSource(kinesisSource<Ev>({ stream, region: REGION, endpoint, pollIntervalMs: 50 }),
    WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(e => e.ts), 'kinesis')
    .map(e => { read++; return e })
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(1_000))
    .sideOutputLateData(lateTag)
    .aggregate({ createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n },
      (_k, w, n) => [w.start, n] as [number, number])
  const windows = windowed.collect()
  const late = windowed.sideOutput(lateTag).collect()
  const job = env.execute('kinesis-watermarks', { signal })
  job.catch(() => {})
  return { windows, late, read: () => read, job }
}

const windowsOf100 = (count: number): Array<[number, number]> => Array.from({ length: count }, (_, i) => [i * 1_000, 100])

test('a shard an hour behind in event time: none of its records is late and its windows fire', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 2)
  const ac = new AbortController()
  let job: Promise<unknown> | undefined
  try {
    const [ahead, behind] = (await shardsOf(admin, stream)).map(s => s.HashKeyRange!.StartingHashKey!)
    await putToShard(admin, stream, ahead!, 500, HOUR)
    const j = windowJob(stream, endpoint, ac.signal)
    job = j.job
    const { windows, late } = j
    const read = j.read
    await until(() => read() === 500, 60_000, () => `${read()} of the 500 events an hour ahead read`)
    // a subtask-wide watermark would now be an hour ahead, and all of these would be late
    await putToShard(admin, stream, behind!, 500, 0)
    // the watermark follows the shard behind (at 4989): its windows up to [3000, 4000) fire
    await until(() => windows.values.length >= 4, 60_000, () => `${windows.values.length} windows fired, ${read()} events read`)
    assert.is(read(), 1_000)
    assert.equal(late.values.length, 0, `${late.values.length} records of the shard behind were late`)
    assert.equal(windows.values, windowsOf100(4), 'the hour-ahead windows wait for the shard behind')
  } finally {
    ac.abort()
    await job?.catch(() => {})
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('a shard split while the job runs: the parent read out no longer holds the watermark, its children do', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 1)
  const ac = new AbortController()
  let job: Promise<unknown> | undefined
  try {
    await putToShard(admin, stream, undefined, 500, 0)
    const j = windowJob(stream, endpoint, ac.signal)
    job = j.job
    await until(() => j.read() === 500, 60_000, () => `${j.read()} of the 500 events of the parent read`)
    await splitShard(admin, stream, (await shardsOf(admin, stream))[0]!)
    // spread over both children, up to 9990: the watermark passes 8999 only when the parent
    // (at 4989) was dropped and both children have records
    await putToShard(admin, stream, undefined, 500, 5_000)
    await until(() => j.windows.values.length >= 9, 60_000, () => `${j.windows.values.length} windows fired, ${j.read()} events read`)
    assert.is(j.read(), 1_000)
    assert.equal(j.late.values, [])
    assert.equal(j.windows.values, windowsOf100(9))
  } finally {
    ac.abort()
    await job?.catch(() => {})
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test.run()
