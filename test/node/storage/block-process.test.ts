/**
 * The blocks protocol between two OS processes: this test's peer fetches from and puts to
 * a peer started with fixtures/block-peer.ts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { format } from 'node:util'
import type { Logger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { cidOf, parseCid } from '../../../protocol/cid.ts'
import { createMeshHost, type MeshLibp2p } from '../../../node/mesh/mesh-host.ts'
import { BlockClient } from '../../../node/storage/block-client.ts'
import { BlockFetcher } from '../../../node/storage/block-fetcher.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/block-peer.ts', import.meta.url))

interface Remote {
  readonly child: ChildProcess
  readonly info: { addr: string, peerId: string, hello: string, large: string, largeSize: number, largeSha256: string, corrupt: string }
}

async function startRemote (dataDir: string): Promise<Remote> {
  const child = spawn(process.execPath, [FIXTURE, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] })
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
    remote.child.stdin!.end()
    await new Promise(resolve => {
      const kill = setTimeout(() => { remote.child.kill('SIGKILL') }, 3000)
      remote.child.on('exit', () => { clearTimeout(kill); resolve(undefined) })
      if (remote.child.exitCode !== null) { clearTimeout(kill); resolve(undefined) }
    })
    rmSync(root, { recursive: true, force: true })
  }
})

processes.run()
