/**
 * kinesisSink against the real kinesalite: a job writes every record (read back from the
 * stream), partial PutRecords failures are retried until every record landed once,
 * batches stay within the service's limits, and a record over 1 MiB fails naming its key.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { kinesisSink, kinesisSource, KinesisSinkWriter } from 'meshflow/connectors/kinesis'
import { readerOf } from '../source-readers.ts'
import { REGION, adminClient, createStream, deleteStream, faultProxy, kinesisEndpoint, perKeyProblems, type KeyedEvent } from './helpers.ts'

const test = suite('kinesisSink')

/** Every record of `stream`, read with the connector's own source until `count` are in. */
async function readBack (stream: string, endpoint: string, count: number): Promise<KeyedEvent[]> {
  const source = kinesisSource<KeyedEvent>({ stream, region: REGION, endpoint, pollIntervalMs: 50 })
  const reader = readerOf(source)
  reader.addSplits(await source.createSplits(1))
  const got: KeyedEvent[] = []
  const deadline = Date.now() + 60_000
  try {
    while (got.length < count && Date.now() < deadline) got.push(...(await reader.pollNext(1_000) ?? []))
  } finally {
    await reader.close()
  }
  return got
}

test('a job writes every record; each key keeps its order', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 3)
  try {
    const KEYS = 25
    const PER_KEY = 120
    const env = StreamEnvironment.create({ parallelism: 2 })
    // one key per subtask range: datagen splits by index, so a key's events stay in one subtask in order
    env.fromSource(datagen({ count: KEYS * PER_KEY, generate: i => ({ key: `key-${i % KEYS}`, seq: Math.floor(i / KEYS) }), splits: 1 }),
      WatermarkStrategy.noWatermarks<KeyedEvent>(), 'events')
      .sinkTo(kinesisSink<KeyedEvent>({ stream, region: REGION, endpoint, partitionKey: e => e.key }))
    await env.execute('kinesis-sink')
    const got = await readBack(stream, endpoint, KEYS * PER_KEY)
    assert.equal(perKeyProblems(got, KEYS, PER_KEY), [])
    assert.is(got.length, KEYS * PER_KEY)
  } finally {
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('records Kinesis rejects in a PutRecords answer (FailedRecordCount) are put again until all landed once', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 2)
  const proxy = await faultProxy(endpoint, { failEvery: 3 })
  try {
    const writer = new KinesisSinkWriter<KeyedEvent>({ signal: new AbortController().signal },
      { stream, region: REGION, endpoint: proxy.endpoint, partitionKey: e => e.key })
    // 1,200 records: three PutRecords calls of at most 500
    const values = Array.from({ length: 1_200 }, (_, i) => ({ key: `key-${i % 12}`, seq: Math.floor(i / 12) }))
    await writer.write(values)
    writer.finish()
    writer.close()
    assert.ok(proxy.failedPuts >= 400, `the proxy failed ${proxy.failedPuts} records`)
    assert.is(writer.stats.failedRecords, proxy.failedPuts, 'every failed record was put again')
    const got = await readBack(stream, endpoint, values.length)
    assert.is(got.length, values.length)
    const ids = new Set(got.map(e => `${e.key}/${e.seq}`))
    assert.is(ids.size, values.length, 'every record once')
  } finally {
    await proxy.close()
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test('batches stay within 5 MiB a call, and a record over 1 MiB fails naming its partition key', async () => {
  const endpoint = await kinesisEndpoint()
  const admin = adminClient(endpoint)
  const stream = await createStream(admin, 1)
  // kinesalite checks 500 records and 1 MiB a record, not 5 MiB a call: the proxy measures the calls
  const proxy = await faultProxy(endpoint, {})
  try {
    const writer = new KinesisSinkWriter<string>({ signal: new AbortController().signal },
      { stream, region: REGION, endpoint: proxy.endpoint, partitionKey: s => `k${s.length}`, serializer: 'string' })
    // 12 records of 900 KB: one call would be 10.8 MB, Kinesis takes 5 MiB
    await writer.write(Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(900_000)))
    // and 1,100 small ones: 500 a call at most
    await writer.write(Array.from({ length: 1_100 }, (_, i) => `small ${i}`))
    assert.ok(proxy.puts.maxBytes <= 5 * 1024 * 1024, `a call carried ${proxy.puts.maxBytes} bytes`)
    assert.ok(proxy.puts.maxBytes > 4 * 1024 * 1024, `calls are filled up to the limit (${proxy.puts.maxBytes} bytes)`)
    assert.is(proxy.puts.maxRecords, 500)
    assert.is(proxy.puts.calls, 3 + 3)
    const err = await Promise.resolve(writer.write(['x'.repeat(1024 * 1024)])).then(() => undefined, (e: unknown) => e)
    writer.close()
    assert.is((err as Error)?.name, 'RecordTooLargeError')
    assert.match((err as Error).message, `stream ${stream} with partition key 'k1048576' is 1048584 bytes`)
    assert.is(proxy.puts.calls, 6, 'the record too large was not sent')
  } finally {
    await proxy.close()
    await deleteStream(admin, stream)
    admin.destroy()
  }
})

test.run()
