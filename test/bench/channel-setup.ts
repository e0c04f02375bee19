/**
 * Benchmark: setting up the network channels of an all-to-all edge between two peers
 * (`npm run bench -- shuffle`). N producer subtasks on one peer, N consumer subtasks on
 * the other, N² channels; each sends one record batch, then (once every batch arrived)
 * its end of input. Prints, per N, the time until every channel delivered its batch and
 * until every channel ended, and how many data streams the producer's peer had open with
 * all N² channels open. Two libp2p hosts in this process, TCP on loopback.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshHost, type MeshLibp2p } from '../../node/mesh/mesh-host.ts'
import { DataService, type RemoteInputChannel, type RemoteOutputChannel } from '../../node/mesh/data-service.ts'
import { DATA_CODEC } from '../../protocol/codec.ts'
import type { StreamElement } from '../../node/runtime/stream-element.ts'

async function host (): Promise<MeshLibp2p> {
  return await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
}

async function until (condition: () => boolean): Promise<void> {
  const end = Date.now() + 120_000
  while (!condition()) {
    if (Date.now() > end) throw new Error('The channels never delivered')
    await new Promise(resolve => setImmediate(resolve))
  }
}

const a = await host()
const b = await host()
const da = new DataService(a)
const db = new DataService(b)
await da.start()
await db.start()
try {
  await a.dial(b.getMultiaddrs()[0]!)
  const aId = a.peerId.toString()
  const bId = b.peerId.toString()
  for (const [round, n] of [4, 8, 16, 24].entries()) {
    const signal = new AbortController().signal
    const failures: unknown[] = []
    const readers: RemoteInputChannel[] = []
    const writers: RemoteOutputChannel[] = []
    const t = performance.now()
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < n; c++) {
        const key = { jobId: `job-${round}`, attempt: 0, producerVertex: 'gen#0', producerSubtask: p, consumerVertex: 'count', consumerSubtask: c }
        readers.push(db.reader(key, aId, err => { failures.push(err) }))
        const w = da.writer(bId, key, err => { failures.push(err) }, signal)
        w.send({ type: 'records', values: [p, c], timestamps: [0, 0] })
        writers.push(w)
      }
    }
    const first = new Array<StreamElement | undefined>(readers.length)
    await until(() => {
      if (failures.length > 0) throw failures[0] as Error
      let all = true
      for (let i = 0; i < readers.length; i++) {
        first[i] ??= readers[i]!.poll()
        if (first[i] === undefined) all = false
      }
      return all
    })
    const deliveredMs = performance.now() - t
    const streams = a.getConnections(b.peerId).flatMap(x => x.streams).filter(s => s.protocol === DATA_CODEC.protocol && s.direction === 'outbound').length
    for (const w of writers) w.send({ type: 'end' })
    const ended = new Array<boolean>(readers.length).fill(false)
    await until(() => {
      let all = true
      for (let i = 0; i < readers.length; i++) {
        if (!ended[i]) ended[i] = readers[i]!.poll()?.type === 'end'
        if (!ended[i]) all = false
      }
      return all
    })
    const endedMs = performance.now() - t
    console.log(JSON.stringify({ bench: 'shuffle', variant: 'channel-setup', producers: n, consumers: n, channels: n * n, deliveredMs: Math.round(deliveredMs), endedMs: Math.round(endedMs), dataStreams: streams, protocol: DATA_CODEC.protocol }))
  }
} finally {
  await da.stop()
  await db.stop()
  await a.stop()
  await b.stop()
}
