import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, type CollectedOutput, type Sink
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { DataService, type DataServiceInit } from '../../../node/mesh/data-service.ts'
import { DATA_CODEC } from '../../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../../protocol/framing.ts'
import { decodeMuxFrame, encodeElementHeader, encodeOpenFrame, type MuxFrame } from '../../../protocol/data-mux.ts'
import { encodeElement } from '../../../node/mesh/wire-elements.ts'
import type { ChannelKey, RemoteInputChannel } from '../../../node/mesh/data-service.ts'
import type { StreamElement } from '../../../node/runtime/stream-element.ts'
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

async function side (init: DataServiceInit = {}): Promise<Side> {
  const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const d = new DataService(host, { capacity: 4, ...init })
  await d.start()
  return { host, data: d }
}

async function stopAll (...sides: Side[]): Promise<void> {
  for (const s of sides) await s.data.stop()
  for (const s of sides) await s.host.stop()
}

async function until (condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** The next element of `reader`, waiting for it. */
async function pollUntil (reader: RemoteInputChannel): Promise<StreamElement> {
  let e: StreamElement | undefined
  await until(() => (e = reader.poll()) !== undefined, 'an element arrived')
  return e!
}

function encodeElementFrame (channel: number, element: StreamElement): Uint8Array {
  const header = encodeElementHeader(channel)
  const bytes = encodeElement(element)
  const out = new Uint8Array(header.byteLength + bytes.byteLength)
  out.set(header)
  out.set(bytes, header.byteLength)
  return out
}

/** A hand-driven mux stream from `from` to `to`: sends frame payloads, reads the consumer's frames. */
async function rawMux (from: Side, to: Side): Promise<{ send: (payload: Uint8Array) => void, next: () => Promise<MuxFrame>, credits: (n: number) => Promise<void> }> {
  const stream = await from.host.dialProtocol(to.host.peerId, DATA_CODEC.protocol)
  const frames = decodeFrames(stream, { maxBytes: DATA_CODEC.maxFrameBytes })[Symbol.asyncIterator]()
  const next = async (): Promise<MuxFrame> => {
    const r = await frames.next()
    if (r.done === true) throw new Error('The mux stream ended')
    return decodeMuxFrame(r.value)
  }
  return {
    send: payload => { stream.send(encodeFrame(payload)) },
    next,
    credits: async n => {
      const seen = new Set<number>()
      while (seen.size < n) {
        const f = await next()
        if (f.kind === 'credit') for (const [c] of f.grants) seen.add(c)
      }
    }
  }
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

data('garbage on a mux stream fails that stream\'s channels with an error naming the peer; other peers\' channels and new streams go on', async () => {
  const a = await side()
  const b = await side()
  const c = await side()
  try {
    await connect(a, b)
    await connect(c, b)
    const aId = a.host.peerId.toString()
    const key = { jobId: 'job-3', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    const failures: unknown[] = []
    const r0 = b.data.reader(key, aId, err => { failures.push(err) })
    const r1 = b.data.reader({ ...key, producerSubtask: 1 }, aId, err => { failures.push(err) })
    // a channel from another peer, on its own stream
    let otherFailure: unknown
    const fromC = b.data.reader({ ...key, producerSubtask: 2 }, c.host.peerId.toString(), err => { otherFailure = err })
    const cWriter = c.data.writer(b.host.peerId.toString(), { ...key, producerSubtask: 2 }, err => { otherFailure = err }, new AbortController().signal)
    const raw = await rawMux(a, b)
    raw.send(encodeOpenFrame(0, key))
    raw.send(encodeOpenFrame(1, { ...key, producerSubtask: 1 }))
    await raw.credits(2)
    raw.send(new Uint8Array([0xff, 0x00, 0x13, 0x37]))
    await until(() => failures.length === 2, 'both channels of the stream failed')
    for (const f of failures) {
      assert.instance(f, Error)
      assert.match((f as Error).message, new RegExp(`from peer ${aId}`))
      assert.match((f as Error).message, /unknown kind 255/)
    }
    assert.is(r0.poll(), undefined, 'nothing half-decoded reached the task')
    assert.is(r1.poll(), undefined)
    // the other peer's channel still flows
    cWriter.send({ type: 'watermark', timestamp: 7 })
    assert.equal(await pollUntil(fromC), { type: 'watermark', timestamp: 7 })
    assert.is(otherFailure, undefined)
    // and the peer accepts a new stream from the peer whose stream failed
    const ok = b.data.reader({ ...key, jobId: 'job-4' }, aId, err => { failures.push(err) })
    const w = a.data.writer(b.host.peerId.toString(), { ...key, jobId: 'job-4' }, err => { failures.push(err) }, new AbortController().signal)
    w.send({ type: 'watermark', timestamp: 5 })
    assert.equal(await pollUntil(ok), { type: 'watermark', timestamp: 5 })
    assert.is(failures.length, 2)
  } finally {
    await stopAll(a, b, c)
  }
})

data('only the peer the producer was placed on may open a channel: a forged open is refused, before and after the reader registered, and the real one is read', async () => {
  const a = await side()
  const b = await side()
  const mallory = await side()
  try {
    await connect(a, b)
    await connect(mallory, b)
    const key = { jobId: 'job-5', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    // the forged open arrives first, before the consumer task registered its reader
    const forged = await rawMux(mallory, b)
    forged.send(encodeOpenFrame(0, key))
    await until(() => b.data.waiting === 1, 'the forged channel waits for its reader')
    let failure: unknown
    const reader = b.data.reader(key, a.host.peerId.toString(), err => { failure = err })
    const refused = await forged.next()
    assert.is(refused.kind, 'refuse')
    assert.match((refused as { reason: string }).reason, new RegExp(`Peer ${mallory.host.peerId.toString()} opened channel job-5/.*whose producer runs on peer ${a.host.peerId.toString()}`))
    const real = a.data.writer(b.host.peerId.toString(), key, err => { failure = err }, new AbortController().signal)
    real.send({ type: 'watermark', timestamp: 5 })
    assert.equal(await pollUntil(reader), { type: 'watermark', timestamp: 5 }, 'the producer\'s element')
    assert.is(failure, undefined)
    // a forged open for a channel whose reader is registered is refused at once, no credit given
    const key2 = { ...key, jobId: 'job-6' }
    const reader2 = b.data.reader(key2, a.host.peerId.toString(), () => {})
    forged.send(encodeOpenFrame(1, key2))
    const refused2 = await forged.next()
    assert.equal({ kind: refused2.kind, channel: (refused2 as { channel: number }).channel }, { kind: 'refuse', channel: 1 })
    // what it sends anyway is dropped
    forged.send(encodeElementFrame(1, { type: 'watermark', timestamp: 667 }))
    const later = b.data.reader({ ...key2, jobId: 'job-6b' }, mallory.host.peerId.toString(), () => {})
    forged.send(encodeOpenFrame(2, { ...key2, jobId: 'job-6b' }))
    assert.is((await forged.next()).kind, 'credit', 'the stream still serves mallory\'s own channels')
    assert.is(reader2.poll(), undefined)
    assert.is(later.poll(), undefined)
  } finally {
    await stopAll(a, b, mallory)
  }
})

data('many channels between two peers share one stream per direction', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const aId = a.host.peerId.toString()
    const bId = b.host.peerId.toString()
    const signal = new AbortController().signal
    const errors: unknown[] = []
    const readers = []
    const writers = []
    for (let i = 0; i < 24; i++) {
      // both directions: a's producers to b and b's producers to a
      const key = { jobId: 'job-8', attempt: 0, producerVertex: 'gen#0', producerSubtask: i, consumerVertex: 'sink', consumerSubtask: i % 3 }
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a]
      readers.push(to.data.reader(key, (i % 2 === 0 ? aId : bId), err => { errors.push(err) }))
      writers.push(from.data.writer(i % 2 === 0 ? bId : aId, key, err => { errors.push(err) }, signal))
    }
    for (const [i, w] of writers.entries()) w.send({ type: 'watermark', timestamp: i })
    for (const [i, r] of readers.entries()) assert.equal(await pollUntil(r), { type: 'watermark', timestamp: i })
    const streams = (x: Side, y: Side, direction: string): number => x.host.getConnections(y.host.peerId)
      .flatMap(c => c.streams).filter(s => s.protocol === DATA_CODEC.protocol && s.direction === direction).length
    assert.is(streams(a, b, 'outbound'), 1, 'a opened one data stream to b')
    assert.is(streams(b, a, 'outbound'), 1, 'b opened one data stream to a')
    assert.is(streams(a, b, 'inbound'), 1)
    assert.equal(a.data.streams, { outbound: 1, inbound: 1 })
    assert.equal(b.data.streams, { outbound: 1, inbound: 1 })
    assert.equal(errors, [])
  } finally {
    await stopAll(a, b)
  }
})

data('a consumer that stops reading one channel holds back only that channel: the other channel on the stream runs to its end', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const aId = a.host.peerId.toString()
    const bId = b.host.peerId.toString()
    const signal = new AbortController().signal
    const errors: unknown[] = []
    const keyOf = (i: number): ChannelKey => ({ jobId: 'job-9', attempt: 0, producerVertex: 'gen#0', producerSubtask: i, consumerVertex: 'sink', consumerSubtask: 0 })
    const stuck = b.data.reader(keyOf(0), aId, err => { errors.push(err) })
    const flowing = b.data.reader(keyOf(1), aId, err => { errors.push(err) })
    const w0 = a.data.writer(bId, keyOf(0), err => { errors.push(err) }, signal)
    const w1 = a.data.writer(bId, keyOf(1), err => { errors.push(err) }, signal)
    // the stuck channel fills its credit and then some
    for (let i = 0; i < 3 * stuck.capacity; i++) w0.send({ type: 'records', values: [i], timestamps: [i] })
    const elements = 500
    let got = 0
    const reading = (async () => {
      for (;;) {
        const e = await pollUntil(flowing)
        if (e.type === 'end') return
        got++
      }
    })()
    for (let i = 0; i < elements; i++) {
      await w1.whenWritable()
      w1.send({ type: 'records', values: [{ i, s: 'x'.repeat(100) }], timestamps: [i] })
    }
    await w1.whenWritable()
    w1.send({ type: 'end' })
    await reading
    assert.is(got, elements)
    // the stuck channel holds exactly its credit on the consumer's side, the rest waits at the producer
    assert.is(w0.queued, 3 * stuck.capacity - stuck.capacity, 'the producer holds what the credit did not cover')
    assert.not.ok(w0.writable)
    for (let i = 0; i < stuck.capacity; i++) assert.equal(stuck.poll(), { type: 'records', values: [i], timestamps: [i] })
    assert.equal(errors, [])
  } finally {
    await stopAll(a, b)
  }
})

data('channels waiting for their reader are bounded per peer and refused when no reader comes in time', async () => {
  const a = await side()
  const b = await side({ maxWaitingChannelsPerPeer: 2, maxWaitingChannels: 3, registrationTimeoutMs: 300 })
  const c = await side()
  try {
    await connect(a, b)
    await connect(c, b)
    const key = (i: number): ChannelKey => ({ jobId: 'job-10', attempt: 0, producerVertex: 'gen#0', producerSubtask: i, consumerVertex: 'sink', consumerSubtask: 0 })
    const fromA = await rawMux(a, b)
    for (let i = 0; i < 3; i++) fromA.send(encodeOpenFrame(i, key(i)))
    const third = await fromA.next()
    assert.equal({ kind: third.kind, channel: (third as { channel: number }).channel }, { kind: 'refuse', channel: 2 })
    assert.match((third as { reason: string }).reason, /Too many channels wait for their consumer task \(2, 2 from this peer\)/)
    // the total bound: one more from another peer fits, the next does not
    const fromC = await rawMux(c, b)
    fromC.send(encodeOpenFrame(0, key(10)))
    fromC.send(encodeOpenFrame(1, key(11)))
    const over = await fromC.next()
    assert.equal({ kind: over.kind, channel: (over as { channel: number }).channel }, { kind: 'refuse', channel: 1 })
    assert.match((over as { reason: string }).reason, /Too many channels wait for their consumer task \(3, 1 from this peer\)/)
    // no reader comes: the waiting ones are refused after the timeout and stop counting
    const refusedLater = [await fromA.next(), await fromA.next()].map(f => [f.kind, (f as { channel: number }).channel])
    assert.equal(refusedLater.sort(), [['refuse', 0], ['refuse', 1]])
    await until(() => b.data.waiting === 0, 'the timed-out channels stopped waiting')
  } finally {
    await stopAll(a, b, c)
  }
})

data('a producer that fails before the consumer registered: the reader fails with the producer\'s reason', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const key = { jobId: 'job-11', attempt: 0, producerVertex: 'check#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    const writer = a.data.writer(b.host.peerId.toString(), key, () => {}, new AbortController().signal)
    await until(() => b.data.waiting === 1, 'the channel waits for its reader')
    writer.abort(new Error('The job ended'), new Error("Operator 'check' failed: bad record"))
    // frames of one stream arrive in order: once a later channel's open arrived, so did the abort
    a.data.writer(b.host.peerId.toString(), { ...key, jobId: 'job-11-marker' }, () => {}, new AbortController().signal)
    await until(() => b.data.waiting === 2, 'a later frame of a arrived')
    let failure: unknown
    b.data.reader(key, a.host.peerId.toString(), err => { failure = err })
    assert.instance(failure, Error)
    assert.match((failure as Error).message, /The producer failed: Operator 'check' failed: bad record/)
  } finally {
    await stopAll(a, b)
  }
})

data('element bytes pass between peers untouched: sendEncoded on one end, pollEncoded on the other', async () => {
  const a = await side()
  const b = await side()
  try {
    await connect(a, b)
    const key = { jobId: 'job-12', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    const errors: unknown[] = []
    const reader = b.data.reader(key, a.host.peerId.toString(), err => { errors.push(err) }, { encoded: true })
    const writer = a.data.writer(b.host.peerId.toString(), key, err => { errors.push(err) }, new AbortController().signal)
    const sent: StreamElement[] = [
      { type: 'records', values: [{ id: 1, name: 'ä' }, [2, 3]], timestamps: [5, Number.NEGATIVE_INFINITY] },
      { type: 'watermark', timestamp: 5 },
      { type: 'end' }
    ]
    for (const e of sent) writer.sendEncoded(encodeElement(e))
    const got: Uint8Array[] = []
    while (got.length < sent.length) {
      const bytes = reader.pollEncoded()
      if (bytes === undefined) await new Promise(resolve => setTimeout(resolve, 5))
      else got.push(bytes)
    }
    assert.equal(got.map(g => Array.from(g)), sent.map(e => Array.from(encodeElement(e))))
    assert.ok(reader.ended, 'the end of input was seen in the bytes')
    assert.equal(errors, [])
  } finally {
    await stopAll(a, b)
  }
})

data('garbage from a consumer\'s peer fails the producer\'s channels to that peer, naming it', async () => {
  const a = await side()
  const fake = await side()
  try {
    await connect(a, fake)
    // a peer that answers the data protocol with garbage
    await fake.data.stop()
    await fake.host.handle(DATA_CODEC.protocol, (stream) => { stream.send(encodeFrame(Uint8Array.of(0x09, 0x01))) })
    const failures: unknown[] = []
    const key = { jobId: 'job-13', attempt: 0, producerVertex: 'gen#0', producerSubtask: 0, consumerVertex: 'sink', consumerSubtask: 0 }
    for (const consumerSubtask of [0, 1]) a.data.writer(fake.host.peerId.toString(), { ...key, consumerSubtask }, err => { failures.push(err) }, new AbortController().signal)
    await until(() => failures.length === 2, 'both channels failed')
    for (const f of failures) assert.match((f as Error).message, new RegExp(`Network channel to peer ${fake.host.peerId.toString()} .*unknown kind 9`))
    assert.equal(a.data.streams, { outbound: 0, inbound: 0 }, 'the broken stream is forgotten')
  } finally {
    await stopAll(a, fake)
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
