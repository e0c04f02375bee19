/**
 * kinesisSource against the real kinesalite: reads every shard, resumes after injected
 * failures from its checkpointed sequence numbers without loss or duplicates, starts at
 * LATEST, sends bad records to the dead-letter output (or fails naming them), and backs off
 * when Kinesis throttles.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutputTag, StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { kinesisSource, type KinesisDeadLetter, type KinesisSourceReader } from 'meshflow/connectors/kinesis'
import { readerOf } from '../source-readers.ts'
import {
  REGION, adminClient, createStream, deleteStream, faultProxy, kinesisEndpoint, memorySink, perKeyProblems, putJson, until,
  type KeyedEvent
} from './helpers.ts'

const test = suite('kinesisSource')

const events = (keys: number, from: number, to: number): Array<{ key: string, value: KeyedEvent }> => {
  const out: Array<{ key: string, value: KeyedEvent }> = []
  for (let seq = from; seq < to; seq++) for (let k = 0; k < keys; k++) out.push({ key: `key-${k}`, value: { key: `key-${k}`, seq } })
  return out
}

test('reads every record of every shard and resumes after injected failures without loss or duplicates', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 3)
  try {
    const KEYS = 30
    const PER_KEY = 100
    await putJson(admin, stream, events(KEYS, 0, PER_KEY / 2))
    const out: KeyedEvent[] = []
    const failAt = [700, 1_900]
    let seen = 0
    let failed = 0
    const stop = new AbortController()
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 50 })
    env.fromSource(kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint, recordsPerFetch: 100, pollIntervalMs: 50 }),
      WatermarkStrategy.noWatermarks<KeyedEvent>(), 'events')
      .map(e => {
        if (failed < failAt.length && ++seen >= failAt[failed]!) {
          failed++
          throw new Error(`injected failure ${failed}`)
        }
        return e
      }).uid('maybe-fail')
      .sinkTo(memorySink(out))
    const job = env.execute('kinesis-source-recovery', { signal: stop.signal })
    job.catch(() => {})
    // the second half arrives while the job runs
    await putJson(admin, stream, events(KEYS, PER_KEY / 2, PER_KEY))
    await until(() => out.length >= KEYS * PER_KEY, 120_000, () => `${out.length} of ${KEYS * PER_KEY} records out`)
    stop.abort()
    await job.catch(() => {})
    assert.is(failed, 2, 'both failures were injected')
    assert.equal(perKeyProblems(out, KEYS, PER_KEY), [], 'every record once, in order per key')
    assert.is(out.length, KEYS * PER_KEY)
  } finally {
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('LATEST reads only what arrives after the first start', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 2)
  try {
    await putJson(admin, stream, [{ key: 'old', value: { key: 'old', seq: 0 } }])
    const source = kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint, startingPosition: 'LATEST', pollIntervalMs: 50 })
    // kinesalite's arrival times have millisecond resolution: keep LATEST clear of the old record
    await new Promise(resolve => setTimeout(resolve, 20))
    const splits = await source.createSplits(1)
    const reader = readerOf(source)
    reader.addSplits(splits)
    await putJson(admin, stream, events(4, 0, 5))
    const got: KeyedEvent[] = []
    try {
      while (got.length < 20) {
        const batch = await reader.pollNext(100)
        got.push(...(batch ?? []))
      }
    } finally {
      await reader.close()
    }
    assert.ok(!got.some(e => e.key === 'old'), 'the record put before the start is not read')
    assert.equal(perKeyProblems(got, 4, 5), [])
  } finally {
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('a record the deserializer rejects goes to the dead-letter output naming stream, shard and sequence', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 1)
  try {
    await putJson(admin, stream, [{ key: 'a', value: { key: 'a', seq: 0 } }, { key: 'a', value: '{not json' }, { key: 'a', value: { key: 'a', seq: 1 } }])
    const letters: KinesisDeadLetter[] = []
    const source = kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint, deadLetter: new OutputTag<KinesisDeadLetter>('bad') })
    const reader = readerOf(source, letters as unknown[])
    reader.addSplits(await source.createSplits(1))
    const got: KeyedEvent[] = []
    try {
      while (got.length < 2) got.push(...(await reader.pollNext(100) ?? []))
    } finally {
      await reader.close()
    }
    assert.equal(got.map(e => e.seq), [0, 1])
    assert.is(letters.length, 1)
    assert.match(letters[0]!.error, new RegExp(`^Malformed record in stream ${stream} shard shardId-000000000000 sequence \\d+: `))
    assert.is(Buffer.from(letters[0]!.data).toString(), '{not json')

    // without a dead-letter output the reader fails naming the record, before emitting it
    const strict = kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint })
    const failing = readerOf(strict)
    failing.addSplits(await strict.createSplits(1))
    let error: unknown
    try {
      for (let i = 0; i < 100 && error === undefined; i++) await failing.pollNext(100)
    } catch (err) {
      error = err
    } finally {
      await failing.close()
    }
    assert.is((error as Error)?.name, 'MalformedKinesisRecordError')
    assert.match((error as Error).message, `stream ${stream} shard shardId-000000000000 sequence ${letters[0]!.sequenceNumber}`)
  } finally {
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('throttled GetRecords calls (ProvisionedThroughputExceededException) back off and every record is still read', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 2)
  const proxy = await faultProxy(endpoint, { throttleEvery: 2 })
  try {
    await putJson(admin, stream, events(10, 0, 50))
    // a small retry timeout: throttling must not count against it
    const source = kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint: proxy.endpoint, recordsPerFetch: 20, retryTimeoutMs: 1, pollIntervalMs: 20 })
    const reader = readerOf(source) as KinesisSourceReader<KeyedEvent>
    reader.addSplits(await source.createSplits(1))
    const got: KeyedEvent[] = []
    try {
      while (got.length < 500) got.push(...(await reader.pollNext(100) ?? []))
    } finally {
      await reader.close()
    }
    assert.equal(perKeyProblems(got, 10, 50), [])
    assert.ok(proxy.throttledGets >= 10, `the proxy throttled ${proxy.throttledGets} calls`)
    // every throttled answer the reader received was backed off from; the proxy may also have
    // throttled a call of each shard still in flight when the reader closed (2 shards)
    const unseen = proxy.throttledGets - reader.stats.throttled
    assert.ok(unseen >= 0 && unseen <= 2, `the reader counted ${reader.stats.throttled} throttled calls, the proxy ${proxy.throttledGets}`)
  } finally {
    await proxy.close()
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test.run()
