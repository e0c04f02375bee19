import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { format } from 'node:util'
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { cidOf } from '../../../protocol/cid.ts'
import { encodeFrame } from '../../../protocol/framing.ts'
import { handleMessages, readMessages, sendMessages } from '../../../protocol/message-handler.ts'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../../node/storage/block-client.ts'
import { BlockFetcher } from '../../../node/storage/block-fetcher.ts'
import { BLOCKS_CODEC, type BlockMessage } from '../../../node/storage/block-messages.ts'
import { BlockService } from '../../../node/storage/block-service.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'

const service = suite('BlockService')

interface Node {
  readonly id: string
  readonly host: MeshLibp2p
  readonly store: PeerStore
  readonly blocks: BlockStore
  readonly service: BlockService
  readonly client: BlockClient
  readonly fetcher: BlockFetcher
  /** What the fetcher logged as errors. */
  readonly errors: string[]
}

let root = ''
let nodes: Node[] = []
service.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-block-service-')) })
service.after.each(async () => {
  for (const n of nodes) {
    await n.client.stop()
    await n.service.stop()
    await n.host.stop()
    await n.store.close()
  }
  nodes = []
  rmSync(root, { recursive: true, force: true })
})

/** A logger that keeps the error lines (printf-formatted) and drops the rest. */
function capture (lines: string[]): Logger {
  const log = Object.assign(() => {}, {
    error: (fmt: string, ...args: unknown[]) => { lines.push(format(fmt.replace(/%[ep]/g, '%s'), ...args)) },
    trace: () => {},
    enabled: true,
    newScope: () => log
  })
  return log as unknown as Logger
}

/** A block store whose reads take a while and which counts how many run at once. */
class SlowBlockStore extends BlockStore {
  active = 0
  maxActive = 0
  delayMs = 0
  override async get (...args: Parameters<BlockStore['get']>): ReturnType<BlockStore['get']> {
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      await new Promise(resolve => setTimeout(resolve, this.delayMs))
      return await super.get(...args)
    } finally {
      this.active--
    }
  }
}

async function node (init: { serve?: boolean, requestTimeoutMs?: number, maxConcurrentRequests?: number } = {}): Promise<Node & { blocks: SlowBlockStore }> {
  const store = await PeerStore.open(join(root, `n${nodes.length}`))
  const blocks = new SlowBlockStore({ store })
  const host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  const errors: string[] = []
  const svc = new BlockService({ host, blocks }, init.maxConcurrentRequests === undefined ? {} : { maxConcurrentRequests: init.maxConcurrentRequests })
  if (init.serve !== false) await svc.start()
  const client = new BlockClient({ host })
  const fetcher = new BlockFetcher({ blocks, client }, { log: capture(errors), ...(init.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: init.requestTimeoutMs }) })
  const n = { id: host.peerId.toString(), host, store, blocks, service: svc, client, fetcher, errors }
  nodes.push(n)
  return n
}

async function connect (a: Node, ...others: Node[]): Promise<void> {
  for (const b of others) await a.host.dial(b.host.getMultiaddrs()[0]!)
}

async function rejects (p: Promise<unknown>, name: string): Promise<Error> {
  try {
    await p
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    return err as Error
  }
  throw new assert.Assertion({ message: `expected a ${name}`, operator: 'rejects', generated: true, expects: name, actual: 'resolved' })
}

/** Serves the blocks protocol on `n` with a handler of the test's own. */
async function serveWith (n: Node, onMessage: (m: BlockMessage, send: (r: BlockMessage) => Promise<void>) => void | Promise<void>): Promise<void> {
  await n.host.handle(BLOCKS_CODEC.protocol, async (stream: Stream, connection: Connection) => {
    await handleMessages(stream, BLOCKS_CODEC, async (m, ctx) => { await onMessage(m, async r => { await ctx.send(r) }) }, { connection })
  })
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

service('BlockFetcher fetches a block from a peer, verifies it and stores it locally', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const data = randomBytes(300_000)
  const cid = await b.blocks.put(data)
  assert.is(await a.blocks.has(cid), false)
  assert.equal(await a.fetcher.fetch(cid, { from: [b.host.peerId] }), new Uint8Array(data))
  assert.equal(await a.blocks.get(cid), new Uint8Array(data), 'stored locally')
  // from the local copy now, even with no peer to ask
  assert.equal(await a.fetcher.fetch(cid, { from: [] }), new Uint8Array(data))
  assert.equal(a.errors, [])
})

service('BlockFetcher fetches a 3.5 MiB value chunk by chunk through its manifest', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const value = randomBytes(3.5 * 1024 * 1024)
  const cid = await b.blocks.putLarge(value)
  assert.equal(await a.fetcher.fetchLarge(cid, { from: [b.id] }), new Uint8Array(value))
  assert.equal(await a.blocks.getLarge(cid), new Uint8Array(value), 'every chunk and the manifest stored locally')
})

service('a copy corrupted on peer B\'s disk is detected and the block is fetched from peer C', async () => {
  const a = await node()
  const b = await node()
  const c = await node()
  await connect(a, b, c)
  const data = utf8('checkpoint state of operator uid=counter')
  const cid = await b.blocks.put(data)
  await c.blocks.put(data)
  await b.store.db.insert('@meshflow/blocks', { cid: Buffer.from(cid.bytes), data: Buffer.from('checkpoint state of operator uid=c0unter') })
  await b.store.db.flush()
  assert.equal(await a.fetcher.fetch(cid, { from: [b.id, c.id] }), data)
  assert.is(a.errors.length, 1, a.errors.join('\n'))
  assert.match(a.errors[0]!, cid.toString())
  assert.match(a.errors[0]!, b.id)
  // asked directly, B reports its copy corrupt rather than sending it
  const err = await rejects(a.client.get(b.id, cid), 'CorruptBlockError')
  assert.is((err as unknown as { peer: string }).peer, b.id)
})

service('bytes that do not match the CID are detected, logged with the CID and the peer, and the next holder is asked', async () => {
  const a = await node()
  const liar = await node({ serve: false })
  const c = await node()
  await connect(a, liar, c)
  const data = utf8('job bundle')
  const cid = await c.blocks.put(data)
  await serveWith(liar, async (m, send) => {
    if (m.type === 'get-request') await send({ type: 'get-response', id: m.id, data: utf8('job bundle with a backdoor') })
  })
  const err = await rejects(a.client.get(liar.id, cid), 'CorruptBlockError')
  assert.match(err.message, cid.toString())
  assert.match(err.message, liar.id)
  assert.equal(await a.fetcher.fetch(cid, { from: [liar.id, c.id] }), data)
  assert.is(a.errors.length, 1)
  assert.match(a.errors[0]!, `Block ${cid.toString()} from peer ${liar.id} does not match its CID`)
  assert.equal(await a.blocks.get(cid), data, 'the good copy, not the forged one, is stored')
})

service('a put with bytes that do not match the CID is rejected and nothing is stored', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const cid = cidOf(utf8('the real bytes'))
  const err = await rejects(a.client.put(b.id, utf8('other bytes'), { cid }), 'BlockRejectedError')
  assert.is((err as unknown as { code: string }).code, 'mismatch')
  assert.match(err.message, cid.toString())
  assert.is(await b.blocks.has(cid), false)
  assert.ok((await a.client.put(b.id, utf8('the real bytes'))).equals(cid))
  assert.equal(await b.blocks.get(cid), utf8('the real bytes'))
  assert.equal(await a.client.has(b.id, [cid, cidOf(utf8('nope'))]), [true, false])
})

service('fetch of a block no peer holds fails with BlockNotFoundError naming the CID and the peers asked', async () => {
  const a = await node()
  const b = await node()
  const c = await node()
  await connect(a, b, c)
  const cid = cidOf(utf8('never stored'))
  const err = await rejects(a.fetcher.fetch(cid, { from: [b.id, a.id, c.id] }), 'BlockNotFoundError')
  assert.match(err.message, cid.toString())
  assert.match(err.message, `${b.id} (not found)`)
  assert.match(err.message, `${c.id} (not found)`)
  assert.equal((err as unknown as { peers: string[] }).peers, [b.id, c.id], 'this peer itself is not asked')
  assert.match((await rejects(a.fetcher.fetch(cid, { from: [] }), 'BlockNotFoundError')).message, 'local store')
})

service('a peer that does not answer is given up on after the timeout and the next is asked', async () => {
  const a = await node({ requestTimeoutMs: 300 })
  const silent = await node({ serve: false })
  const c = await node()
  await connect(a, silent, c)
  await serveWith(silent, () => {})
  const data = utf8('slow peer')
  const cid = await c.blocks.put(data)
  const started = Date.now()
  assert.equal(await a.fetcher.fetch(cid, { from: [silent.id, c.id] }), data)
  assert.ok(Date.now() - started >= 280)
  // the caller's own signal ends the fetch with its reason
  const gone = cidOf(utf8('gone'))
  const controller = new AbortController()
  const fetching = a.fetcher.fetch(gone, { from: [silent.id], signal: controller.signal })
  setTimeout(() => { controller.abort(new Error('The job was cancelled')) }, 50)
  try {
    await fetching
    assert.unreachable('fetch went on after the abort')
  } catch (err) {
    assert.is((err as Error).message, 'The job was cancelled')
  }
})

service('a malformed frame closes only its own stream: other streams and the connection go on', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const cid = await b.blocks.put(utf8('still served'))
  assert.equal(await a.client.get(b.id, cid), utf8('still served'), 'the client stream is open')
  for (const garbage of [encodeFrame(utf8('not cbor at all')), encodeFrame(BLOCKS_CODEC.encode({ type: 'get-response', id: 1, data: utf8('x') })), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f)]) {
    const raw = await a.host.dialProtocol(b.host.peerId, BLOCKS_CODEC.protocol)
    raw.send(garbage)
    let reset = false
    try {
      for await (const _ of raw) { /* nothing is answered */ }
    } catch {
      reset = true
    }
    assert.ok(reset || raw.status !== 'open', 'the bad stream was aborted')
  }
  assert.ok(a.host.getConnections(b.host.peerId).length > 0, 'the connection stays up')
  assert.equal(await a.client.get(b.id, cid), utf8('still served'), 'the other stream still works')
})

service('many requests on one stream, more than its quota, are all answered', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const data = Array.from({ length: 40 }, () => randomBytes(50_000))
  const cids = await b.blocks.putMany(data)
  const got = await Promise.all(cids.map(cid => a.client.get(b.id, cid)))
  got.forEach((g, i) => { assert.equal(g, new Uint8Array(data[i]!)) })
  const puts = Array.from({ length: 20 }, () => randomBytes(10_000))
  await Promise.all(puts.map(p => a.client.put(b.id, p)))
  for (const p of puts) assert.ok(await b.blocks.has(cidOf(p)))
})

service('a service works on at most maxConcurrentRequests requests of one stream at once; the client keeps to its quota', async () => {
  const a = await node()
  const b = await node({ maxConcurrentRequests: 3 })
  await connect(a, b)
  const cids = await b.blocks.putMany(Array.from({ length: 12 }, (_, i) => utf8(`block ${i}`)))
  b.blocks.delayMs = 30
  // a raw stream sends all 12 requests at once: the service reads on only as answers leave
  const raw = await a.host.dialProtocol(b.host.peerId, BLOCKS_CODEC.protocol)
  await sendMessages(raw, BLOCKS_CODEC, cids.map((cid, i) => ({ type: 'get-request' as const, id: i, cid })))
  const answered = new Set<number>()
  for await (const m of readMessages(raw, BLOCKS_CODEC)) {
    assert.is(m.type, 'get-response')
    answered.add(m.id)
    if (answered.size === cids.length) break
  }
  await raw.close()
  assert.is(b.blocks.maxActive, 3)
  // the client never has more than its quota (default 8) unanswered on one stream
  const c = await node({ serve: false })
  await connect(a, c)
  let open = 0
  let maxOpen = 0
  await serveWith(c, (m, send) => {
    open++
    maxOpen = Math.max(maxOpen, open)
    // answered later, so the handler reads on and sees every request the client sent
    setTimeout(() => { open--; void send({ type: 'error-response', id: m.id, code: 'not-found', message: 'no', retriable: false }) }, 20)
  })
  const results = await Promise.all(cids.map(cid => a.client.get(c.id, cid)))
  assert.ok(results.every(r => r === undefined))
  assert.is(maxOpen, 8)
})

service('a stopped service refuses new streams; a restarted one serves again', async () => {
  const a = await node()
  const b = await node()
  await connect(a, b)
  const cid = await b.blocks.put(utf8('x'))
  assert.ok(await a.client.get(b.id, cid))
  await b.service.stop()
  await b.service.stop()
  await rejects(a.fetcher.fetch(cid, { from: [b.id] }), 'BlockNotFoundError')
  await b.service.start()
  assert.equal(await a.fetcher.fetch(cid, { from: [b.id] }), utf8('x'))
})

service.run()
