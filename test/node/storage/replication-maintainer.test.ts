import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlockCid } from '../../../protocol/cid.ts'
import { rendezvousHolders } from '../../../node/storage/rendezvous.ts'
import type { BlockReplicator } from '../../../node/storage/replication.ts'
import { ReplicationMaintainer, repairDuty, type ReplicationMaintainerInit } from '../../../node/storage/replication-maintainer.ts'
import { startBlockMesh, type BlockNode } from './fixtures/block-node.ts'

const duty = suite('repairDuty')

const membersArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 })

duty('repairDuty gives nobody a block whose holders did not change', () => {
  fc.assert(fc.property(fc.string(), membersArb, fc.integer({ min: 1, max: 4 }), (cid, members, r) => {
    for (const self of members) assert.is(repairDuty(cid, self, members, r, [...members].reverse(), r), false)
  }))
})

duty('repairDuty gives a block whose holders changed to exactly one member when a holder of before is left, else to all', () => {
  fc.assert(fc.property(fc.string(), membersArb, membersArb, fc.integer({ min: 1, max: 4 }), (cid, previous, current, r) => {
    const before = rendezvousHolders(cid, previous, r)
    const after = rendezvousHolders(cid, current, r)
    const changed = before.length !== after.length || before.some(p => !after.includes(p))
    const chosen = current.filter(self => repairDuty(cid, self, previous, r, current, r))
    if (!changed) assert.equal(chosen, [])
    else if (before.some(p => current.includes(p))) assert.equal(chosen, [before.find(p => current.includes(p))])
    else assert.equal(chosen, current)
  }))
})

duty.run()

const maintainer = suite('ReplicationMaintainer')

let root = ''
let nodes: BlockNode[] = []
let maintainers: ReplicationMaintainer[] = []
let members: string[] = []
maintainer.before.each(() => { root = mkdtempSync(join(tmpdir(), 'meshflow-maintainer-')) })
maintainer.after.each(async () => {
  for (const m of maintainers) await m.stop()
  for (const n of nodes) await n.stop()
  maintainers = []
  nodes = []
  rmSync(root, { recursive: true, force: true })
})

/** `count` connected nodes with R = 2 over the shared `members`. */
async function mesh (count: number): Promise<BlockNode[]> {
  nodes = await startBlockMesh(root, count, { members: () => members, replicator: { replicas: 2 } })
  members = nodes.map(n => n.id)
  return nodes
}

function maintain (n: BlockNode, init: ReplicationMaintainerInit = {}): ReplicationMaintainer {
  const m = new ReplicationMaintainer({ selfId: n.id, blocks: n.blocks, replicator: n.replicator, members: () => members }, {
    membershipDebounceMs: 100, pollMs: 20, intervalMs: 0, ...init
  })
  maintainers.push(m)
  return m
}

async function holding (cid: BlockCid, among: readonly BlockNode[]): Promise<string[]> {
  const out: string[] = []
  for (const n of among) if (await n.blocks.has(cid)) out.push(n.id)
  return out.sort()
}

async function eventually (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > until) throw new assert.Assertion({ message: `timed out waiting: ${what}`, operator: 'eventually', generated: true, expects: true, actual: false })
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

maintainer('ReplicationMaintainer brings every block back to R copies after a holder leaves, each copied once', async () => {
  const all = await mesh(4)
  const cids: BlockCid[] = []
  for (let i = 0; i < 30; i++) cids.push(await all[i % 4]!.replicator.put(randomBytes(700 + i)))
  const gone = all[3]!
  const left = all.slice(0, 3)
  const loops = left.map(n => maintain(n))
  for (const m of loops) await m.start()
  // a first full pass settles each loop on the current members (nothing to copy)
  for (const m of loops) assert.is((await m.repairNow()).copied, 0)
  const affected = cids.filter(c => rendezvousHolders(c.toString(), members, 2).includes(gone.id))
  assert.ok(affected.length > 0)

  await gone.service.stop()
  members = members.filter(id => id !== gone.id)
  await eventually('every block on its 2 new holders', async () => {
    for (const cid of cids) {
      if ((await holding(cid, left)).join() !== rendezvousHolders(cid.toString(), members, 2).sort().join()) return false
    }
    return true
  })
  await eventually('every loop ran after the change', () => loops.every(m => m.lastRun?.reason === 'membership'))
  const runs = loops.map(m => m.lastRun!)
  assert.ok(runs.every(r => !r.full && r.failed === 0 && r.members === 3), JSON.stringify(runs))
  assert.is(runs.reduce((n, r) => n + r.copied, 0), affected.length, 'one copy per affected block, by one peer')
  assert.is(runs.reduce((n, r) => n + r.checked, 0), affected.length, 'only the blocks whose holders changed, each by one peer')
})

maintainer('ReplicationMaintainer repairs a block whose copy a holder lost on its periodic pass', async () => {
  const all = await mesh(3)
  const cid = await all[0]!.replicator.put(randomBytes(2000))
  const [first, second] = rendezvousHolders(cid.toString(), members, 2).map(id => all.find(n => n.id === id)!)
  await second!.blocks.delete(cid)
  const m = maintain(first!, { intervalMs: 100 })
  await m.start()
  await eventually('the copy is back', async () => await second!.blocks.has(cid))
  await eventually('the run is over', () => m.lastRun !== undefined)
  assert.is(m.lastRun!.reason, 'periodic')
  assert.ok(m.lastRun!.full)
})

maintainer('ReplicationMaintainer start and stop are safe twice; a stopped loop does not react to changes', async () => {
  const all = await mesh(3)
  const m = maintain(all[0]!)
  await m.start()
  await m.start()
  assert.ok(m.isStarted)
  await m.stop()
  await m.stop()
  assert.not.ok(m.isStarted)
  members = members.slice(0, 2)
  m.membershipChanged()
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.is(m.lastRun, undefined)
})

maintainer('ReplicationMaintainer.stop aborts the repair in progress and waits for it', async () => {
  const all = await mesh(2)
  await all[0]!.blocks.put(randomBytes(100))
  let started = false
  let aborted: unknown
  // a replicator whose repair lasts until it is aborted
  const replicator = {
    replicasFor: () => 2,
    repair: async (_cids: unknown, options: { signal?: AbortSignal }) => {
      started = true
      return await new Promise((_resolve, reject) => {
        options.signal!.addEventListener('abort', () => {
          aborted = options.signal!.reason
          reject(options.signal!.reason)
        })
      })
    }
  } as unknown as BlockReplicator
  const m = new ReplicationMaintainer({ selfId: all[0]!.id, blocks: all[0]!.blocks, replicator, members: () => members }, { membershipDebounceMs: 10, pollMs: 10, intervalMs: 0 })
  maintainers.push(m)
  await m.start()
  members = members.slice(0, 1)
  await eventually('the repair started', () => started)
  await m.stop()
  assert.match(String((aborted as Error | undefined)?.message), 'stopped')
  assert.is(m.lastRun, undefined)
})

maintainer.run()
