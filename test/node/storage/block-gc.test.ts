import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidOf, type BlockCid } from '../../../protocol/cid.ts'
import { BlockGarbageCollector, type BlockGarbageCollectorComponents, type CollectResult } from '../../../node/storage/block-gc.ts'
import { BlockNotFoundError } from '../../../node/storage/block-errors.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { decodeManifest } from '../../../node/storage/chunking.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { storeWriteLock } from '../../../node/storage/store-write-lock.ts'

const gc = suite('BlockGarbageCollector')

const MINUTE = 60_000
const GRACE = 10 * MINUTE
let dir = ''
let store: PeerStore
let blocks: BlockStore
/** The clock of the store and the collector. */
let now = 0
const clock = (): number => now

gc.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-gc-'))
  store = await PeerStore.open(dir)
  now = 1_700_000_000_000
  // small chunks, so large values have several chunks and nested manifests cheaply
  blocks = new BlockStore({ store }, { now: clock, restampAfterMs: MINUTE, chunkBytes: 1000, maxManifestEntries: 4 })
})
gc.after.each(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/**
 * The callers' own manifests in these tests: `refs:` then one CID per line (the real ones
 * are cbor maps; the collector does not care).
 */
const encodeRefs = (cids: readonly BlockCid[]): Uint8Array => utf8(['refs:', ...cids.map(c => c.toString())].join('\n'))
function references (_cid: string, bytes: Uint8Array): readonly string[] {
  const text = new TextDecoder().decode(bytes)
  return text.startsWith('refs:') ? text.split('\n').slice(1) : []
}

function collector (roots: () => readonly string[] | Promise<readonly string[]>, extra: Partial<BlockGarbageCollectorComponents> = {}): BlockGarbageCollector {
  return new BlockGarbageCollector({ blocks, roots, references, ...extra }, { graceMs: GRACE, now: clock })
}

async function held (): Promise<Set<string>> {
  const out = new Set<string>()
  for await (const b of blocks.stored()) out.add(b.cid.toString())
  return out
}

/** Every CID under a putLarge value: its manifests and chunks. */
async function largeTree (cid: BlockCid): Promise<string[]> {
  const out = [cid.toString()]
  const m = decodeManifest(cid, (await blocks.get(cid))!)
  for (const c of m.chunks) {
    if (m.level === 0) out.push(c.toString())
    else out.push(...await largeTree(c))
  }
  return out
}

const counts = (r: CollectResult): object => ({ kept: r.kept, young: r.young, deleted: r.deleted, bytesFreed: r.bytesFreed, unresolved: r.unresolved })

gc('BlockGarbageCollector keeps every block reachable from the roots and deletes unreachable blocks older than the grace period', async () => {
  // job code: a plain block
  const code = await blocks.put(utf8('job bundle'))
  // keyed state of two operators: a large value (two manifest levels) and a plain block
  const large = await blocks.putLarge(randomBytes(20_500)) // 21 chunks -> 6 manifests -> 2 -> 1
  assert.is(decodeManifest(large, (await blocks.get(large))!).level, 2)
  const small = await blocks.put(utf8('state of operator uid=counter'))
  // a checkpoint manifest naming both, and a savepoint naming a nested manifest of its own
  const checkpoint = await blocks.put(encodeRefs([large, small]))
  const inner = await blocks.put(utf8('state of operator uid=window'))
  const nested = await blocks.put(encodeRefs([inner]))
  const savepoint = await blocks.put(encodeRefs([nested]))
  // garbage: an old checkpoint's state, a dropped large value, a manifest no root names
  const garbage = [
    await blocks.put(utf8('state of checkpoint 1')),
    ...await largeTreeOf(await blocks.putLarge(randomBytes(2500))),
    await blocks.put(encodeRefs([small]))
  ]
  const reachable = [code.toString(), ...await largeTree(large), small.toString(), checkpoint.toString(), inner.toString(), nested.toString(), savepoint.toString()]
  const garbageBytes = await sizes(garbage)

  now += GRACE + MINUTE + 1
  const result = await collector(() => [code.toString(), checkpoint.toString(), savepoint.toString()]).collect()
  assert.equal(counts(result), { kept: reachable.length, young: 0, deleted: garbage.length, bytesFreed: garbageBytes, unresolved: [] })
  assert.is(result.reachable, reachable.length)
  assert.equal([...await held()].sort(), [...reachable].sort())
  assert.equal(await blocks.getLarge(large), await blocks.getLarge(large), 'the large value still reads')
  for (const g of garbage) assert.is(await blocks.has(g), false, g.toString())
})

async function largeTreeOf (cid: BlockCid): Promise<BlockCid[]> {
  const out: BlockCid[] = [cid]
  const m = decodeManifest(cid, (await blocks.get(cid))!)
  for (const c of m.chunks) out.push(...(m.level === 0 ? [c] : await largeTreeOf(c)))
  return out
}

async function sizes (cids: readonly BlockCid[]): Promise<number> {
  let n = 0
  for (const c of cids) n += (await blocks.get(c))!.byteLength
  return n
}

gc('BlockGarbageCollector never deletes a block stored within the grace period, reachable or not', async () => {
  const old = await blocks.put(utf8('old garbage'))
  now += 5 * MINUTE
  const young = await blocks.put(utf8('state of a checkpoint being written'))
  now += GRACE + MINUTE - 5 * MINUTE + 1 // old: just over grace + re-stamp interval ago; young: 5 min less
  const result = await collector(() => []).collect()
  assert.equal(counts(result), { kept: 1, young: 1, deleted: 1, bytesFreed: 11, unresolved: [] })
  assert.is(await blocks.has(old), false)
  assert.ok(await blocks.has(young))
  now += 5 * MINUTE
  assert.is((await collector(() => []).collect()).deleted, 1)
  assert.is(await blocks.has(young), false)
})

gc('BlockGarbageCollector allows for the store\'s re-stamp interval: a block re-put just before its stamp was due is kept a full grace period', async () => {
  const cid = await blocks.put(utf8('unchanged state chunk'))
  now += MINUTE - 1
  await blocks.put(utf8('unchanged state chunk')) // not re-stamped: the stamp is under a minute old
  now += GRACE // a full grace period after the re-put, less 1 ms
  const result = await collector(() => []).collect()
  assert.is(result.deleted, 0)
  assert.ok(await blocks.has(cid))
})

gc('BlockGarbageCollector: putting a block again refreshes it, so it outlives another grace period', async () => {
  const cid = await blocks.put(utf8('state reused by the next checkpoint'))
  now += GRACE
  await blocks.put(utf8('state reused by the next checkpoint'))
  now += GRACE
  assert.is((await collector(() => []).collect()).deleted, 0)
  assert.ok(await blocks.has(cid))
  now += MINUTE + 1
  assert.is((await collector(() => []).collect()).deleted, 1)
  assert.is(await blocks.has(cid), false)
})

gc('BlockGarbageCollector keeps a block put while it marks, though no root it read names it', async () => {
  const data = utf8('chunk of checkpoint 7, also in the dropped checkpoint 3')
  const cid = await blocks.put(data)
  now += 2 * GRACE
  // the writer of checkpoint 7 puts the chunk again after the collector took the roots
  const result = await collector(async () => {
    await blocks.put(data)
    return []
  }).collect()
  assert.equal(counts(result), { kept: 1, young: 1, deleted: 0, bytesFreed: 0, unresolved: [] })
  assert.ok(await blocks.has(cid))
})

gc('BlockGarbageCollector reads a reachable block it does not hold with fetch, and keeps the children it holds', async () => {
  const child = await blocks.put(utf8('state held here'))
  const manifest = encodeRefs([child])
  const manifestCid = cidOf(manifest) // held by another peer only
  now += 2 * GRACE
  const fetched: string[] = []
  const fetch = async (cid: BlockCid): Promise<Uint8Array> => {
    fetched.push(cid.toString())
    if (cid.equals(manifestCid)) return manifest
    throw new BlockNotFoundError(cid.toString())
  }
  const result = await collector(() => [manifestCid.toString()], { fetch }).collect()
  assert.equal(counts(result), { kept: 1, young: 0, deleted: 0, bytesFreed: 0, unresolved: [] })
  assert.equal(fetched, [manifestCid.toString()])
  assert.ok(await blocks.has(child))
})

gc('BlockGarbageCollector deletes nothing when a reachable block cannot be read, and names it', async () => {
  const orphan = await blocks.put(utf8('child of a manifest nobody can read'))
  const lost = cidOf(utf8('a manifest lost everywhere'))
  now += 2 * GRACE
  const result = await collector(() => [lost.toString()]).collect()
  assert.equal(counts(result), { kept: 1, young: 0, deleted: 0, bytesFreed: 0, unresolved: [lost.toString()] })
  assert.ok(await blocks.has(orphan))
  // so too when the caller cannot decode its own manifest
  const mine = await blocks.put(utf8('refs:\nbroken'))
  const throwing = new BlockGarbageCollector({
    blocks, roots: () => [mine.toString()], references: () => { throw new Error('not a checkpoint manifest') }
  }, { graceMs: GRACE, now: clock })
  const again = await throwing.collect()
  assert.equal(again.unresolved, [mine.toString()])
  assert.is(again.deleted, 0)
})

gc('BlockGarbageCollector skips roots and references that are not block CIDs', async () => {
  const kept = await blocks.put(utf8('kept'))
  const root = await blocks.put(utf8(`refs:\nnot a cid\n${kept.toString()}`))
  const gone = await blocks.put(utf8('gone'))
  now += 2 * GRACE
  const result = await collector(() => ['bogus', root.toString()]).collect()
  assert.equal(counts(result), { kept: 2, young: 0, deleted: 1, bytesFreed: 4, unresolved: [] })
  assert.is(await blocks.has(gone), false)
})

gc('BlockGarbageCollector follows a block reached both as a chunk and as a caller\'s reference', async () => {
  // the first chunk of a large value is, byte for byte, a caller's manifest
  const leaf = await blocks.put(utf8('leaf'))
  const refs = encodeRefs([leaf])
  const large = await blocks.putLarge(refs) // one chunk: the same bytes as `refs`
  // reached as a chunk (kept unread) one level before it is reached as a reference
  const mid = await blocks.put(encodeRefs([cidOf(refs)]))
  const root = await blocks.put(encodeRefs([large, mid]))
  now += 2 * GRACE
  const result = await collector(() => [root.toString()]).collect()
  assert.is(result.deleted, 0)
  assert.ok(await blocks.has(leaf))
})

gc('BlockGarbageCollector collects blocks from a store without stamps a grace period after it first sees them', async () => {
  const cids = await blocks.putMany([utf8('legacy a'), utf8('legacy b')])
  await storeWriteLock(store).run(async () => {
    for (const cid of cids) await store.db.delete('@meshflow/block-info', { cid: Buffer.from(cid.bytes) })
    await store.db.delete('@meshflow/meta', { key: 'blocks-stamped' })
    await store.db.flush()
  })
  await store.close()
  store = await PeerStore.open(dir)
  blocks = new BlockStore({ store }, { now: clock, restampAfterMs: MINUTE })
  now += 5 * GRACE
  const first = await collector(() => []).collect()
  assert.equal(counts(first), { kept: 2, young: 2, deleted: 0, bytesFreed: 0, unresolved: [] })
  now += GRACE + MINUTE + 1
  const second = await collector(() => []).collect()
  assert.equal(counts(second), { kept: 0, young: 0, deleted: 2, bytesFreed: 16, unresolved: [] })
})

gc('BlockGarbageCollector reads a reachable block once: later rounds reuse its children while it stays reachable', async () => {
  const state = await blocks.putMany([utf8('state a'), utf8('state b')])
  const first = await blocks.put(encodeRefs(state))
  const seen: string[] = []
  let roots = [first.toString()]
  const c = collector(() => roots, { references: (cid, bytes) => { seen.push(cid); return references(cid, bytes) } })
  await c.collect()
  assert.is(seen.length, 3)
  await c.collect()
  assert.is(seen.length, 3, 'nothing read again')
  const second = await blocks.put(encodeRefs([state[1]!]))
  roots = [second.toString()]
  now += 2 * GRACE
  const result = await c.collect()
  assert.equal(seen.slice(3), [second.toString()])
  assert.equal(counts(result), { kept: 2, young: 0, deleted: 2, bytesFreed: 'state a'.length + encodeRefs(state).byteLength, unresolved: [] })
  // a block no longer reachable is forgotten: reachable again, it is read again
  roots = [first.toString()]
  await blocks.putMany([encodeRefs(state), utf8('state a')])
  await c.collect()
  assert.equal(seen.slice(4).sort(), [first.toString(), state[0]!.toString()].sort())
})

gc('BlockGarbageCollector.collect rejects with the signal\'s reason, and runs one collection at a time', async () => {
  await blocks.put(utf8('x'))
  const controller = new AbortController()
  controller.abort(new Error('Shutting down'))
  const c = collector(() => [])
  try {
    await c.collect({ signal: controller.signal })
    assert.unreachable('should have rejected')
  } catch (err) {
    assert.is((err as Error).message, 'Shutting down')
  }
  let inRoots = 0
  let most = 0
  const slow = collector(async () => {
    most = Math.max(most, ++inRoots)
    await new Promise(resolve => setTimeout(resolve, 20))
    inRoots--
    return []
  })
  now += 2 * GRACE
  const results = await Promise.all([slow.collect(), slow.collect(), slow.collect()])
  assert.is(most, 1)
  assert.equal(results.map(r => r.deleted), [1, 0, 0])
})

gc.run()
