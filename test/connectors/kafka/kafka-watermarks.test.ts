/**
 * kafkaSource's per-partition watermarks against the real broker (test/services/kafka.sh):
 * one source subtask reads two partitions; a partition an hour behind the other in event
 * time holds the watermark back (none of its records is late, its windows fire), and an
 * idle partition, with `withIdleness`, does not stall the windows of the other.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutputTag, StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'meshflow'
import { kafkaSource } from 'meshflow/connectors/kafka'
import { brokers, createTopic, deleteTopic, freshName, produce } from './helpers.ts'

const test = suite('kafkaSource watermarks')

interface Ev { readonly id: number, readonly ts: number }
const HOUR = 3_600_000
/** `n` events 10 ms apart from `from`. */
const events = (n: number, from: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, ts: from + i * 10 }))

async function waitFor (what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * An unbounded job at p=1: topic -> count per 1 s tumbling event-time window (late records to
 * a side output). Returns the live outputs, the number of records read, and a stop function.
 */
function windowJob (b: string[], topic: string, strategy: WatermarkStrategy<Ev>): {
  windows: { values: Array<[number, number]> }, late: { values: Ev[] }, read: () => number, stop: () => Promise<void>
} {
  const env = StreamEnvironment.create({ parallelism: 1 })
  let read = 0
  const lateTag = new OutputTag<Ev>('late')
  const windowed = env.fromSource(kafkaSource<Ev>({ brokers: b, topics: [topic], deserializer: 'json' }), strategy, 'kafka')
    .map(e => { read++; return e })
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(1_000))
    .sideOutputLateData(lateTag)
    .aggregate({ createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n },
      (_k, w, n) => [w.start, n] as [number, number])
  const windows = windowed.collect()
  const late = windowed.sideOutput(lateTag).collect()
  const ac = new AbortController()
  const job = env.execute('kafka-watermarks', { signal: ac.signal })
  // a failure shows in stop(); until then it must not be an unhandled rejection
  job.catch(() => {})
  return {
    windows,
    late,
    read: () => read,
    stop: async () => {
      ac.abort()
      try {
        await job
      } catch (err) {
        if ((err as Error).name !== 'JobCancelledError') throw err
      }
    }
  }
}

const windowsOf100 = (from: number, count: number): Array<[number, number]> => Array.from({ length: count }, (_, i) => [from + i * 1_000, 100])

test('a partition an hour behind in event time: none of its records is late and its windows fire', async () => {
  const b = await brokers()
  const topic = freshName('wm-behind')
  await createTopic(b, topic, 2)
  const job = { stop: async () => {} }
  try {
    // partition 0 is an hour ahead and read first; partition 1 has nothing yet
    await produce(b, topic, events(1_000, HOUR), 0)
    const j = windowJob(b, topic, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(e => e.ts))
    job.stop = j.stop
    await waitFor('the 1000 events an hour ahead to be read', () => j.read() === 1_000)
    // a subtask-wide watermark would now be an hour ahead, and all of these would be late
    await produce(b, topic, events(1_000, 0), 1)
    // the watermark follows partition 1 (at 9989): its windows up to [8000, 9000) fire
    await waitFor('nine windows of partition 1 to fire', () => j.windows.values.length >= 9)
    assert.is(j.read(), 2_000)
    await j.stop()
    assert.equal(j.late.values.length, 0, `${j.late.values.length} records of partition 1 were late`)
    assert.equal(j.windows.values, windowsOf100(0, 9), 'the hour-ahead windows wait for partition 1')
  } finally {
    await job.stop()
    await deleteTopic(b, topic)
  }
})

test('withIdleness: an idle partition does not stall the windows of the other', async () => {
  const b = await brokers()
  const topic = freshName('wm-idle')
  await createTopic(b, topic, 2)
  const job = { stop: async () => {} }
  try {
    // partition 1 stays empty: without idleness it would hold the watermark back for ever
    await produce(b, topic, events(1_000, 0), 0)
    const j = windowJob(b, topic, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(e => e.ts).withIdleness(500))
    job.stop = j.stop
    await waitFor('nine windows of partition 0 to fire', () => j.windows.values.length >= 9)
    await j.stop()
    assert.equal(j.windows.values, windowsOf100(0, 9))
    assert.equal(j.late.values, [])
  } finally {
    await job.stop()
    await deleteTopic(b, topic)
  }
})

test.run()
