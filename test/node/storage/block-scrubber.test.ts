import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlockCid } from '../../../protocol/cid.ts'
import { BlockScrubber, type BlockScrubberInit } from '../../../node/storage/block-scrubber.ts'
import { rendezvousHolders } from '../../../node/storage/rendezvous.ts'
import { captureErrors, startBlockMesh, type BlockNode } from './fixtures/block-node.ts'

const scrub = suite('BlockScrubber')

let root = ''
let nodes: BlockNode[] = []
let scrubbers: BlockScrubber[] = []
let members: string[] = []
scrub.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-scrub-')) })
scrub.after.each(async () => {
  for (const s of scrubbers) await s.stop()
  for (const n of nodes) await n.stop()
  scrubbers = []
  nodes = []
  rmSync(root, { recursive: true, force: true })
})

async function mesh (count: number): Promise<BlockNode[]> {
  nodes = await startBlockMesh(root, count, { members: () => members, replicator: { replicas: 2 } })
  members = nodes.map(n => n.id)
  return nodes
}

function scrubber (n: BlockNode, errors: string[], init: BlockScrubberInit = {}): BlockScrubber {
  const s = new BlockScrubber({ selfId: n.id, blocks: n.blocks, fetcher: n.fetcher, members: () => members }, {
    bytesPerSecond: 1e9, intervalMs: 0, log: captureErrors(errors), ...init
  })
  scrubbers.push(s)
  return s
}

/** Writes `bytes` under `cid` straight into RocksDB, as bit rot would leave it. */
async function rot (n: BlockNode, cid: BlockCid, bytes: Uint8Array): Promise<void> {
  const rotten = Buffer.from(bytes)
  rotten[rotten.length >> 1] = rotten[rotten.length >> 1]! ^ 0x01
  await n.store.db.insert('@meshflow/blocks', { cid: Buffer.from(cid.bytes), data: rotten })
  await n.store.db.flush()
}

scrub('BlockScrubber replaces a corrupt copy with a verified one from a replica and counts it', async () => {
  const all = await mesh(3)
  const data = randomBytes(5000)
  const intact = randomBytes(3000)
  const cid = await all[0]!.replicator.put(data)
  const victim = all.find(n => n.id === rendezvousHolders(cid.toString(), members, 2)[1])!
  await victim.blocks.put(intact)
  await rot(victim, cid, data)
  assert.is(await victim.blocks.get(cid).then(() => 'read', (err: Error) => err.name), 'CorruptBlockError')
  const errors: string[] = []
  const s = scrubber(victim, errors)
  assert.equal(s.stats, { scanned: 0, corrupt: 0, repaired: 0, unrepairable: 0, passes: 0, lastPassAt: null })
  const pass = await s.scrubNow()
  assert.equal({ ...pass, ms: 0 }, { scanned: 2, corrupt: 1, repaired: 1, unrepairable: 0, bytes: 8000, ms: 0 })
  assert.equal(await victim.blocks.get(cid), new Uint8Array(data))
  assert.ok(errors.some(e => e.includes(cid.toString()) && e.includes('replaced')), errors.join('\n'))
  const again = await s.scrubNow()
  assert.is(again.corrupt, 0)
  const stats = s.stats
  assert.equal({ ...stats, lastPassAt: 0 }, { scanned: 4, corrupt: 1, repaired: 1, unrepairable: 0, passes: 2, lastPassAt: 0 })
  assert.ok(stats.lastPassAt! > Date.now() - 60_000)
})

scrub('BlockScrubber deletes a corrupt copy that no peer has intact, says so naming the CID, and leaves intact blocks', async () => {
  const all = await mesh(2)
  const only = randomBytes(4000)
  const kept = randomBytes(1000)
  const cid = await all[0]!.blocks.put(only)
  const keptCid = await all[0]!.blocks.put(kept)
  await rot(all[0]!, cid, only)
  const errors: string[] = []
  const pass = await scrubber(all[0]!, errors).scrubNow()
  assert.equal({ corrupt: pass.corrupt, repaired: pass.repaired, unrepairable: pass.unrepairable }, { corrupt: 1, repaired: 0, unrepairable: 1 })
  assert.not.ok(await all[0]!.blocks.has(cid))
  assert.equal(await all[0]!.blocks.get(keptCid), new Uint8Array(kept))
  assert.ok(errors.some(e => e.includes(cid.toString()) && e.includes('no peer') && e.includes('deleted')), errors.join('\n'))
})

scrub('BlockScrubber reads no faster than bytesPerSecond', async () => {
  const all = await mesh(1)
  for (let i = 0; i < 5; i++) await all[0]!.blocks.put(randomBytes(10_000))
  let clock = 0
  const waits: number[] = []
  const s = scrubber(all[0]!, [], {
    bytesPerSecond: 10_000,
    now: () => clock,
    sleep: async ms => { waits.push(ms); clock += ms }
  })
  const pass = await s.scrubNow()
  assert.is(pass.scanned, 5)
  // 50,000 bytes at 10,000 B/s: the fifth block may not be read before 4 s
  assert.ok(clock >= 4000, `scrubbed 50,000 bytes in ${clock} ms of the scrubber's clock (waits ${waits.join(', ')})`)
})

scrub('BlockScrubber: aborting a pass while it waits for the rate rejects with the signal reason', async () => {
  const all = await mesh(1)
  for (let i = 0; i < 2; i++) await all[0]!.blocks.put(randomBytes(10_000))
  const controller = new AbortController()
  const reason = new Error('scrub cancelled by the test')
  let reads = 0
  // the clock stands still: after the first block the pass waits 100 s (10,000 bytes at 100 B/s)
  // on the real timer, and the abort comes while it waits
  const s = scrubber(all[0]!, [], {
    bytesPerSecond: 100,
    now: () => {
      if (++reads === 3) setTimeout(() => { controller.abort(reason) }, 10)
      return 0
    }
  })
  const failed = await s.scrubNow({ signal: controller.signal }).then(() => undefined, (err: unknown) => err)
  assert.is(failed, reason)
})

scrub('BlockScrubber runs passes on its own after start, and stop ends them; both are safe twice', async () => {
  const all = await mesh(1)
  await all[0]!.blocks.put(randomBytes(100))
  const s = scrubber(all[0]!, [], { firstDelayMs: 0, intervalMs: 20 })
  await s.start()
  await s.start()
  const until = Date.now() + 20_000
  while (s.stats.passes < 2) {
    if (Date.now() > until) assert.unreachable(`only ${s.stats.passes} passes`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  await s.stop()
  await s.stop()
  assert.not.ok(s.isStarted)
  assert.ok(s.stats.scanned >= 2)
})

scrub.run()
