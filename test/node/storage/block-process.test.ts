/**
 * The blocks protocol between OS processes: this test's peers fetch from, put to and
 * repair onto a peer started with fixtures/block-peer.ts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { format } from 'node:util'
import type { Logger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { cidOf, parseCid, type BlockCid } from '../../../protocol/cid.ts'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../../node/storage/block-client.ts'
import { BlockFetcher } from '../../../node/storage/block-fetcher.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { rendezvousHolders } from '../../../node/storage/rendezvous.ts'
import { ReplicationMaintainer } from '../../../node/storage/replication-maintainer.ts'
import { startBlockNode, type BlockNode } from './fixtures/block-node.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/block-peer.ts', import.meta.url))

interface Remote {
  readonly child: ChildProcess
  readonly info: { addr: string, peerId: string, hello: string, large: string, largeSize: number, largeSha256: string, corrupt: string }
}

async function startRemote (dataDir: string, largeBytes?: number): Promise<Remote> {
  const child = spawn(process.execPath, [FIXTURE, dataDir, ...(largeBytes === undefined ? [] : [String(largeBytes)])], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const info = await new Promise<Remote['info']>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => { reject(new Error(`block-peer did not start in 20 s: ${stderr}`)) }, 20_000)
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      const line = stdout.split('\n').find(l => l.startsWith('{'))
      if (line !== undefined && stdout.includes('\n')) {
        clearTimeout(timer)
        resolve(JSON.parse(line))
      }
    })
    child.on('exit', code => {
      clearTimeout(timer)
      reject(new Error(`block-peer exited with ${code}: ${stderr}`))
    })
  })
  return { child, info }
}

const processes = suite('BlockFetcher across processes')

processes('fetches blocks and a large value from a peer in another process, detects its corrupt copy, and puts to it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-block-process-'))
  const remote = await startRemote(join(root, 'remote'))
  const store = await PeerStore.open(join(root, 'local'))
  let host: MeshLibp2p | undefined
  let client: BlockClient | undefined
  try {
    const blocks = new BlockStore({ store })
    host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
    client = new BlockClient({ host })
    const errors: string[] = []
    const log = Object.assign(() => {}, {
      error: (fmt: string, ...args: unknown[]) => { errors.push(format(fmt, ...args)) },
      trace: () => {},
      enabled: true
    }) as unknown as Logger
    const fetcher = new BlockFetcher({ blocks, client }, { log })
    await host.dial(multiaddr(remote.info.addr))
    const peer = remote.info.peerId

    const hello = await fetcher.fetch(parseCid(remote.info.hello), { from: [peer] })
    assert.is(new TextDecoder().decode(hello), 'hello from another process')

    const started = performance.now()
    const large = await fetcher.fetchLarge(parseCid(remote.info.large), { from: [peer] })
    const ms = performance.now() - started
    assert.is(large.byteLength, remote.info.largeSize)
    assert.is(createHash('sha256').update(large).digest('hex'), remote.info.largeSha256)
    process.stdout.write(`    fetched ${(large.byteLength / 1048576).toFixed(0)} MiB across processes in ${ms.toFixed(0)} ms (${(large.byteLength / 1048576 / (ms / 1000)).toFixed(0)} MiB/s)\n`)

    const corrupt = parseCid(remote.info.corrupt)
    const err = await fetcher.fetch(corrupt, { from: [peer] }).then(() => undefined, (e: unknown) => e as Error)
    assert.is(err?.name, 'BlockNotFoundError')
    assert.match(err!.message, `${peer} (corrupt copy)`)
    assert.is(errors.length, 1)
    assert.match(errors[0]!, corrupt.toString())
    assert.match(errors[0]!, peer)

    const mine = new TextEncoder().encode('stored in the other process')
    const cid = cidOf(mine)
    const refused = await client.put(peer, new TextEncoder().encode('forged'), { cid }).then(() => undefined, (e: unknown) => e as Error)
    assert.is(refused?.name, 'BlockRejectedError')
    assert.equal(await client.has(peer, [cid]), [false])
    await client.put(peer, mine)
    assert.equal(await client.has(peer, [cid]), [true])
    assert.equal(await client.get(peer, cid), mine)
  } finally {
    await client?.stop()
    await host?.stop()
    await store.close()
    await stopRemote(remote)
    rmSync(root, { recursive: true, force: true })
  }
})

async function stopRemote (remote: Remote): Promise<void> {
  remote.child.stdin!.end()
  await new Promise(resolve => {
    const kill = setTimeout(() => { remote.child.kill('SIGKILL') }, 3000)
    remote.child.on('exit', () => { clearTimeout(kill); resolve(undefined) })
    if (remote.child.exitCode !== null) { clearTimeout(kill); resolve(undefined) }
  })
}

processes('BlockFetcher reads around a corrupt copy in another process; ReplicationMaintainer copies the blocks of a holder that left to that process', async () => {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-block-process-'))
  const remote = await startRemote(join(root, 'remote'), 1000)
  const locals: BlockNode[] = []
  let maintainer: ReplicationMaintainer | undefined
  try {
    let members: string[] = []
    for (const name of ['a', 'b']) locals.push(await startBlockNode(join(root, name), { members: () => members, replicator: { replicas: 2 } }))
    const [a, b] = locals as [BlockNode, BlockNode]
    const c = remote.info.peerId
    await a.host.dial(multiaddr(remote.info.addr))
    await b.host.dial(multiaddr(remote.info.addr))
    await a.host.dial(b.host.getMultiaddrs()[0]!)
    members = [a.id, b.id, c]

    // C's copy has rotted on its disk; B holds an intact one
    const corrupt = parseCid(remote.info.corrupt)
    await b.blocks.put(new TextEncoder().encode('this block will rot on disk'))
    assert.equal(new TextDecoder().decode(await a.fetcher.fetch(corrupt, { from: [c, b.id] })), 'this block will rot on disk')
    assert.ok(a.errors.some(e => e.includes(corrupt.toString()) && e.includes(c)), a.errors.join('\n'))

    // blocks A writes that land on A and B only
    const cids: BlockCid[] = []
    const data = new Map<string, Uint8Array>()
    while (cids.length < 5) {
      const bytes = randomBytes(3000)
      const holders = rendezvousHolders(cidOf(bytes).toString(), members, 2)
      if (!holders.includes(a.id) || !holders.includes(b.id)) continue
      const cid = await a.replicator.put(bytes)
      cids.push(cid)
      data.set(cid.toString(), bytes)
    }
    assert.equal(await a.client.has(c, cids), cids.map(() => false))
    maintainer = new ReplicationMaintainer({ selfId: a.id, blocks: a.blocks, replicator: a.replicator, members: () => members }, { membershipDebounceMs: 100, pollMs: 20, intervalMs: 0 })
    await maintainer.start()
    await maintainer.repairNow()

    await b.stop()
    members = [a.id, c]
    const started = performance.now()
    const until = Date.now() + 10_000
    while ((await a.client.has(c, cids)).includes(false)) {
      if (Date.now() > until) assert.unreachable('the blocks did not reach the other process within 10 s')
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    const ms = performance.now() - started
    while (maintainer.lastRun?.reason !== 'membership') {
      if (Date.now() > until) assert.unreachable('the repair run did not end within 10 s')
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    assert.equal({ reason: maintainer.lastRun.reason, copied: maintainer.lastRun.copied, failed: maintainer.lastRun.failed }, { reason: 'membership', copied: 5, failed: 0 })
    for (const cid of cids) assert.equal(await a.client.get(c, cid), new Uint8Array(data.get(cid.toString())!))
    process.stdout.write(`    5 blocks back on 2 peers ${ms.toFixed(0)} ms after their holder left (100 ms of it debounce)\n`)
  } finally {
    await maintainer?.stop()
    for (const n of locals) await n.stop()
    await stopRemote(remote)
    rmSync(root, { recursive: true, force: true })
  }
})

processes.run()
