import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, type CollectedOutput, type Sink
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { DataService } from '../../../node/mesh/data-service.ts'
import { DATA_CODEC } from '../../../protocol/codec.ts'
import { encodeFrame } from '../../../protocol/framing.ts'
import { MeshChannelProvider } from '../../../node/mesh/mesh-channel-provider.ts'
import { runTasks } from '../../../node/runtime/local-executor.ts'
import type { JobVertex } from '../../../node/graph/job-graph.ts'

const data = suite('DataService')

interface Side { host: MeshLibp2p, data: DataService }
/** Connects a to b and waits until both ends know the connection. */
async function connect (a: Side, b: Side): Promise<void> {
  await a.host.dial(b.host.getMultiaddrs()[0]!)
  const end = Date.now() + 3000
  while (b.host.getConnections(a.host.peerId).length === 0) {
    if (Date.now() > end) throw new Error('b never saw the connection from a')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

async function side (): Promise<Side> {
  const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const d = new DataService(host, { capacity: 4 })
  await d.start()
  return { host, data: d }
}

interface Ev { k: number, ts: number, v: number }
const N = 20_000
const generate = (i: number): Ev => ({ k: (i * 31) % 17, ts: i, v: i % 7 })

/** The job, built the same way on every "peer" (as a job module's build would). */
function build (env: StreamEnvironment, sink?: Sink<string>): CollectedOutput<string> | undefined {
  const s = env.fromSource(datagen({ count: N, generate }), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(e => e.ts), 'gen')
    .keyBy(e => e.k)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({ createAccumulator: () => 0, add: (e: Ev, a: number) => a + e.v, getResult: a => a }, (k, w, sum) => `${String(k)}@${w.start}=${sum}`)
    .uid('sums')
  if (sink !== undefined) { s.sinkTo(sink); return undefined }
  return s.collect()
}

data('a keyed window job split over two peers gives exactly what the embedded runtime gives', async () => {
  const expectedEnv = StreamEnvironment.create({ parallelism: 4 })
  const expected = build(expectedEnv)!
  await expectedEnv.execute('reference')

  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const ids = [a.host.peerId.toString(), b.host.peerId.toString()]
    const placement = (v: JobVertex, subtask: number): string => ids[(subtask + v.id.length) % 2]!
    const outputs: CollectedOutput<string>[] = []
    const runs = [a, b].map(async (s, i) => {
      const env = StreamEnvironment.create({ parallelism: 4, batchSize: 64 })
      outputs.push(build(env)!)
      const provider = new MeshChannelProvider({ selfId: ids[i]!, jobId: 'job-1', attempt: 0, data: s.data, placement, capacity: 4 })
      return await runTasks(env.getJobGraph(), { jobId: 'job-1', jobName: 'split', channels: provider, batchSize: 64, runsHere: (v, sub) => placement(v, sub) === ids[i] })
    })
    const results = await Promise.all(runs)
    const got = outputs.flatMap(o => o.values).sort()
    assert.equal(got, expected.values.slice().sort())
    assert.ok(results[0]!.tasks.length > 0 && results[1]!.tasks.length > 0, 'both peers ran tasks')
  } finally {
    await a.data.stop(); await b.data.stop(); await a.host.stop(); await b.host.stop()
  }
})

data('a slow sink on one peer bounds what the producer on the other peer has buffered', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const ids = [a.host.peerId.toString(), b.host.peerId.toString()]
    let produced = 0
    let written = 0
    let maxGap = 0
    const slow: Sink<number> = {
      createWriter: () => ({
        write: async (values) => {
          written += values.length
          maxGap = Math.max(maxGap, produced - written)
          await new Promise(resolve => setTimeout(resolve, 2))
        },
        finish () {},
        close () {}
      })
    }
    const batch = 16
    const capacity = 4
    const runs = [a, b].map(async (s, i) => {
      const env = StreamEnvironment.create({ parallelism: 1, batchSize: batch, channelCapacity: capacity })
      env.fromSource(datagen({ count: 5000, generate: n => { if (i === 0) produced++; return n } }), undefined, 'gen')
        .disableChaining()
        .rebalance()
        .sinkTo(slow, 'slow-sink')
      // the source runs on a, the sink on b
      const placement = (v: JobVertex): string => v.source !== undefined ? ids[0]! : ids[1]!
      const provider = new MeshChannelProvider({ selfId: ids[i]!, jobId: 'job-2', attempt: 0, data: s.data, placement, capacity })
      return await runTasks(env.getJobGraph(), { jobId: 'job-2', jobName: 'slow', channels: provider, batchSize: batch, runsHere: v => placement(v) === ids[i] })
    })
    await Promise.all(runs)
    assert.is(written, 5000)
    // in flight at most: the receiver's credit (capacity elements of one batch each), one
    // batch being written, one being read by the source task and one in the writer's buffer
    const bound = batch * (capacity + 3)
    assert.ok(maxGap <= bound, `the producer ran ${maxGap} records ahead of the sink, bound ${bound}`)
    assert.ok(maxGap >= batch * capacity / 2, `the gap ${maxGap} shows the channel really filled`)
  } finally {
    await a.data.stop(); await b.data.stop(); await a.host.stop(); await b.host.stop()
  }
})

data('a malformed data frame fails the consuming job with a clear error and the peer keeps serving', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const key = { jobId: 'job-3', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    let failure: unknown
    const reader = b.data.reader(key, a.host.peerId.toString(), err => { failure = err })
    const stream = await a.host.dialProtocol(b.host.peerId, DATA_CODEC.protocol)
    stream.send(encodeFrame(DATA_CODEC.encode({ type: 'open-channel', channel: 0, ...key })))
    stream.send(encodeFrame(new Uint8Array([0xff, 0x00, 0x13, 0x37])))
    const end = Date.now() + 3000
    while (failure === undefined && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 10))
    assert.ok(failure instanceof Error, 'the reader reported a failure')
    assert.match((failure as Error).message, /data/i)
    assert.is(reader.poll(), undefined, 'nothing half-decoded reached the task')
    // the peer still accepts channels
    let second: unknown
    const ok = b.data.reader({ ...key, jobId: 'job-4' }, a.host.peerId.toString(), err => { second = err })
    const s2 = await a.host.dialProtocol(b.host.peerId, DATA_CODEC.protocol)
    s2.send(encodeFrame(DATA_CODEC.encode({ type: 'open-channel', channel: 0, ...key, jobId: 'job-4' })))
    s2.send(encodeFrame(DATA_CODEC.encode({ type: 'watermark', channel: 0, timestamp: 5 })))
    const end2 = Date.now() + 3000
    let got
    while ((got = ok.poll()) === undefined && Date.now() < end2) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(got, { type: 'watermark', timestamp: 5 })
    assert.is(second, undefined)
    s2.abort(new Error('done'))
  } finally {
    await a.data.stop(); await b.data.stop(); await a.host.stop(); await b.host.stop()
  }
})

data('only the peer the producer was placed on may feed a channel: another peer\'s stream is refused, the real one is read', async () => {
  const a = await side()
  const b = await side()
  const mallory = await side()
  try {
    await connect(a, b)
    await connect(mallory, b)
    const key = { jobId: 'job-5', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    // the forged stream arrives first, before the consumer task registered its reader
    const forged = await mallory.host.dialProtocol(b.host.peerId, DATA_CODEC.protocol)
    forged.send(encodeFrame(DATA_CODEC.encode({ type: 'open-channel', channel: 0, ...key })))
    forged.send(encodeFrame(DATA_CODEC.encode({ type: 'watermark', channel: 0, timestamp: 666 })))
    await new Promise(resolve => setTimeout(resolve, 100))
    let failure: unknown
    const reader = b.data.reader(key, a.host.peerId.toString(), err => { failure = err })
    const real = await a.host.dialProtocol(b.host.peerId, DATA_CODEC.protocol)
    real.send(encodeFrame(DATA_CODEC.encode({ type: 'open-channel', channel: 0, ...key })))
    real.send(encodeFrame(DATA_CODEC.encode({ type: 'watermark', channel: 0, timestamp: 5 })))
    const end = Date.now() + 10_000
    let got
    while ((got = reader.poll()) === undefined && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(got, { type: 'watermark', timestamp: 5 }, 'the producer\'s element, not the forged one')
    assert.is(failure, undefined)
    // a forged stream for a channel whose reader is registered is refused too
    const key2 = { ...key, jobId: 'job-6' }
    const reader2 = b.data.reader(key2, a.host.peerId.toString(), () => {})
    const forged2 = await mallory.host.dialProtocol(b.host.peerId, DATA_CODEC.protocol)
    forged2.send(encodeFrame(DATA_CODEC.encode({ type: 'open-channel', channel: 0, ...key2 })))
    forged2.send(encodeFrame(DATA_CODEC.encode({ type: 'watermark', channel: 0, timestamp: 667 })))
    const reset = (async () => { for await (const _ of forged2) { /* credits would mean it was attached */ } })()
    await reset.then(() => assert.unreachable('the forged stream ended normally'), (err: Error) => { assert.ok(err instanceof Error) })
    assert.is(reader2.poll(), undefined)
    real.abort(new Error('done'))
  } finally {
    await a.data.stop(); await b.data.stop(); await mallory.data.stop(); await a.host.stop(); await b.host.stop(); await mallory.host.stop()
  }
})

data('a producer whose subtasks failed tells the consumer why: the consumer fails naming the cause', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const key = { jobId: 'job-7', attempt: 0, producerVertex: 'check#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    let failure: unknown
    const reader = b.data.reader(key, a.host.peerId.toString(), err => { failure = err })
    const writer = a.data.writer(b.host.peerId.toString(), key, err => { throw err }, new AbortController().signal)
    writer.send({ type: 'watermark', timestamp: 5 })
    const end = Date.now() + 20_000
    while (reader.poll() === undefined && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 10))
    writer.abort(new Error('The job ended'), new Error("Operator 'check' failed: record 5000 is poison"))
    while (failure === undefined && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 10))
    assert.ok(failure instanceof Error, 'the reader reported a failure')
    assert.match((failure as Error).message, /The producer failed: Operator 'check' failed: record 5000 is poison/)
    assert.match((failure as Error).message, new RegExp(a.host.peerId.toString()), 'names the producer\'s peer')
  } finally {
    await a.data.stop(); await b.data.stop(); await a.host.stop(); await b.host.stop()
  }
})

data.run()
