/**
 * Backpressure (DESIGN §4): credit-based channels bound how far a source runs ahead of a
 * slow sink. A sink whose writes take a few milliseconds must hold a datagen source to at
 * most what the path can buffer:
 *
 *   emitted - written <= batchSize * (channelCapacity * channels + tasks)
 *
 * where `channels` counts the channels a record crosses (each holds at most
 * `channelCapacity` batches before its writer waits) and `tasks` allows one batch per task
 * in hand (the sink's batch being written, a batch being pushed through a chain).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'

const Backpressure = suite('backpressure')

interface Meter {
  emitted: number
  written: number
  writes: number
  /** Largest emitted - written seen at any sample point. */
  maxLag: number
  sample(): void
}

function meter (): Meter {
  const m: Meter = {
    emitted: 0,
    written: 0,
    writes: 0,
    maxLag: 0,
    sample () { if (m.emitted - m.written > m.maxLag) m.maxLag = m.emitted - m.written }
  }
  return m
}

/** A sink whose every write takes `ms` milliseconds; `written` counts records once durable. */
function slowSink (m: Meter, ms: number): Sink<number> {
  return {
    createWriter: () => ({
      write (values) {
        m.sample()
        return new Promise<void>(resolve => {
          setTimeout(() => {
            m.written += values.length
            m.writes++
            m.sample()
            resolve()
          }, ms)
        })
      },
      finish () {},
      close () {}
    })
  }
}

function counted (m: Meter): (i: number) => number {
  return i => {
    m.emitted++
    m.sample()
    return i
  }
}

Backpressure('a slow sink bounds how far the source runs ahead: source -> map -> sink', async () => {
  const batchSize = 4
  const channelCapacity = 2
  const count = 400
  const m = meter()
  const env = StreamEnvironment.create({ batchSize, channelCapacity, chaining: false })
  env.fromSource(datagen({ count, generate: counted(m) }), WatermarkStrategy.noWatermarks(), 'gen')
    .map(x => x)
    .sinkTo(slowSink(m, 2), 'slow-sink')
  const bound = batchSize * (channelCapacity * 2 + 3) // two channels, three tasks
  await env.execute('backpressure-linear')
  assert.is(m.written, count)
  assert.ok(m.maxLag <= bound, `the source ran ${m.maxLag} records ahead of the sink; the path holds at most ${bound}`)
  assert.ok(m.maxLag >= batchSize * channelCapacity * 2, `the source did fill the channels (lag ${m.maxLag})`)
  assert.ok(m.writes >= count / batchSize, 'the sink wrote batch by batch')
})

Backpressure('the bound holds with chaining: source -> map -> sink in one task waits for every write', async () => {
  const batchSize = 8
  const count = 200
  const m = meter()
  const env = StreamEnvironment.create({ batchSize, channelCapacity: 3 })
  env.fromSource(datagen({ count, generate: counted(m) }), WatermarkStrategy.noWatermarks(), 'gen')
    .map(x => x)
    .sinkTo(slowSink(m, 1), 'slow-sink')
  await env.execute('backpressure-chained')
  assert.is(m.written, count)
  assert.ok(m.maxLag <= batchSize, `no channel in the path: at most the batch being written (lag ${m.maxLag})`)
})

Backpressure('two source subtasks feeding one slow sink through keyBy are both held back', async () => {
  const batchSize = 4
  const channelCapacity = 2
  const count = 400
  const m = meter()
  const env = StreamEnvironment.create({ batchSize, channelCapacity, parallelism: 2 })
  env.fromSource(datagen({ count, generate: counted(m) }), WatermarkStrategy.noWatermarks(), 'gen')
    .keyBy(x => x % 7)
    .map(x => x)
    .setParallelism(1)
    .sinkTo(slowSink(m, 2), 'slow-sink').setParallelism(1)
  // the keyed map and the sink chain; each source subtask has one channel to them
  const bound = batchSize * (channelCapacity * 2 + 3)
  await env.execute('backpressure-fan-in')
  assert.is(m.written, count)
  assert.ok(m.maxLag <= bound, `lag ${m.maxLag} above the bound ${bound}`)
})

Backpressure.run()
