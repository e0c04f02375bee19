import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { cidOf, parseCid, type BlockCid } from '../../../protocol/cid.ts'
import { MAX_BLOCK_BYTES } from '../../../protocol/constants.ts'
import { BlockStore } from '../../../node/storage/block-store.ts'
import { decodeManifest, encodeManifest, MANIFEST_TYPE } from '../../../node/storage/chunking.ts'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { storeWriteLock } from '../../../node/storage/store-write-lock.ts'

const blocks = suite('BlockStore')
let dir = ''
let store: PeerStore
let bs: BlockStore
blocks.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-blocks-'))
  store = await PeerStore.open(dir)
  bs = new BlockStore({ store })
})
blocks.after.each(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Overwrites the stored record of `cid` with other bytes, as a bad disk would. */
async function corrupt (s: PeerStore, cid: BlockCid, data: Uint8Array): Promise<void> {
  await s.db.insert('@meshflow/blocks', { cid: Buffer.from(cid.bytes), data: Buffer.from(data) })
  await s.db.flush()
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

blocks('put gives the CIDv1 raw sha2-256 of the bytes (known vector for "hello")', async () => {
  const cid = await bs.put(utf8('hello'))
  assert.is(cid.toString(), 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
  assert.is(cid.version, 1)
  assert.is(cid.code, 0x55)
  assert.is(cid.multihash.code, 0x12)
})

blocks('put, get, has and delete round trip, and the block survives a reopen', async () => {
  const data = randomBytes(100_000)
  const cid = await bs.put(data)
  assert.ok(await bs.has(cid))
  assert.equal(await bs.get(cid), new Uint8Array(data))
  await store.close()
  store = await PeerStore.open(dir)
  bs = new BlockStore({ store })
  assert.equal(await bs.get(cid), new Uint8Array(data))
  assert.is(await bs.delete(cid), true)
  assert.is(await bs.has(cid), false)
  assert.is(await bs.get(cid), undefined)
  assert.is(await bs.delete(cid), false)
})

blocks('get of a block never stored is undefined; an empty block is a block', async () => {
  assert.is(await bs.get(cidOf(utf8('absent'))), undefined)
  const empty = await bs.put(new Uint8Array(0))
  assert.equal(await bs.get(empty), new Uint8Array(0))
})

blocks('identical bytes get one CID and are written once, also when put concurrently', async () => {
  const data = randomBytes(4096)
  const a = await bs.put(data)
  const b = await bs.put(Uint8Array.from(data))
  assert.ok(a.equals(b))
  assert.is(bs.stats.blocksWritten, 1)
  assert.is(bs.stats.blocksDeduplicated, 1)
  const other = randomBytes(4096)
  const cids = await Promise.all([bs.put(other), bs.put(other), bs.put(Uint8Array.from(other))])
  assert.ok(cids.every(c => c.equals(cids[0]!)))
  assert.is(bs.stats.blocksWritten, 2)
  const listed = []
  for await (const cid of bs.cids()) listed.push(cid.toString())
  assert.equal(listed.sort(), [a.toString(), cids[0]!.toString()].sort())
})

blocks('concurrent puts are group-committed: fewer commits than blocks, all durable', async () => {
  const data = Array.from({ length: 40 }, () => randomBytes(10_000))
  const cids = await Promise.all(data.map(d => bs.put(d)))
  assert.ok(bs.stats.commits < 40, `${bs.stats.commits} commits for 40 blocks`)
  await store.close()
  store = await PeerStore.open(dir)
  bs = new BlockStore({ store })
  for (let i = 0; i < cids.length; i++) assert.equal(await bs.get(cids[i]!), new Uint8Array(data[i]!))
})

blocks('a block of 1 MiB is accepted, one byte more is a BlockTooLargeError', async () => {
  const max = randomBytes(MAX_BLOCK_BYTES)
  assert.equal(await bs.get(await bs.put(max)), new Uint8Array(max))
  const err = await rejects(bs.put(new Uint8Array(MAX_BLOCK_BYTES + 1)), 'BlockTooLargeError')
  assert.match(err.message, String(MAX_BLOCK_BYTES + 1))
  await rejects(bs.putMany([utf8('ok'), new Uint8Array(MAX_BLOCK_BYTES + 1)]), 'BlockTooLargeError')
  assert.is(await bs.has(cidOf(utf8('ok'))), false, 'putMany writes nothing when one block is too large')
})

blocks('a block corrupted on disk is a CorruptBlockError naming the CID on get', async () => {
  const cid = await bs.put(utf8('precious state'))
  await corrupt(store, cid, utf8('precious stale'))
  assert.ok(await bs.has(cid), 'has does not verify')
  const err = await rejects(bs.get(cid), 'CorruptBlockError')
  assert.match(err.message, cid.toString())
  assert.match(err.message, 'local store')
  assert.is(bs.stats.corruptReads, 1)
})

const CRCS = '@meshflow/block-crc'

blocks('a put stores the CRC-32 of the block; a local read checks it, so a flipped byte with the CRC kept is a CorruptBlockError', async () => {
  const data = randomBytes(50_000)
  const cid = await bs.put(data)
  const record = await store.db.get(CRCS, { cid: Buffer.from(cid.bytes) })
  assert.is(record?.crc, crc32(data))
  const rotten = Buffer.from(data)
  rotten[25_000] = rotten[25_000]! ^ 0x01
  await corrupt(store, cid, rotten) // the CRC record stays: bit rot under the block
  const err = await rejects(bs.get(cid), 'CorruptBlockError')
  assert.match(err.message, cid.toString())
  assert.is(bs.stats.corruptReads, 1)
})

blocks('verifyCid hashes the block against its CID even when its stored CRC agrees (the scrubber\'s check)', async () => {
  const cid = await bs.put(utf8('the real bytes'))
  const other = utf8('other bytes!!!')
  await store.db.insert(CRCS, { cid: Buffer.from(cid.bytes), crc: crc32(other) })
  await corrupt(store, cid, other)
  assert.equal(await bs.get(cid), other, 'a local read trusts the CRC written with the block')
  await rejects(bs.get(cid, { verifyCid: true }), 'CorruptBlockError')
})

blocks('a block without a CRC (stored before CRCs) is verified by hashing it', async () => {
  const cid = await bs.put(utf8('old block'))
  await store.db.delete(CRCS, { cid: Buffer.from(cid.bytes) })
  await store.db.flush()
  assert.equal(await bs.get(cid), utf8('old block'))
  await corrupt(store, cid, utf8('old blocc'))
  await rejects(bs.get(cid), 'CorruptBlockError')
})

blocks('delete and garbage collection remove the CRC with the block', async () => {
  const a = await bs.put(utf8('a'))
  const b = await bs.put(utf8('b'))
  assert.ok(await bs.delete(a))
  assert.ok(await bs.deleteIfStoredBefore(b, Date.now() + 60_000))
  for (const cid of [a, b]) assert.is(await store.db.get(CRCS, { cid: Buffer.from(cid.bytes) }), null)
})

blocks('putting the right bytes again replaces a corrupt copy', async () => {
  const cid = await bs.put(utf8('precious state'))
  await corrupt(store, cid, utf8('garbage'))
  await bs.put(utf8('precious state'))
  assert.equal(await bs.get(cid), utf8('precious state'))
})

blocks('putLarge cuts a 3.5 MiB value into 1 MiB chunks under a manifest; getLarge verifies them', async () => {
  const value = randomBytes(3.5 * 1024 * 1024)
  const cid = await bs.putLarge(value)
  const manifest = decodeManifest(cid, (await bs.get(cid))!)
  assert.is(manifest.size, value.byteLength)
  assert.is(manifest.level, 0)
  assert.is(manifest.chunks.length, 4)
  assert.equal((await bs.get(manifest.chunks[0]!))!.byteLength, MAX_BLOCK_BYTES)
  assert.equal((await bs.get(manifest.chunks[3]!))!.byteLength, 512 * 1024)
  assert.equal(await bs.getLarge(cid), new Uint8Array(value))
  // identical value: identical CID, nothing new written
  const written = bs.stats.blocksWritten
  assert.ok((await bs.putLarge(Uint8Array.from(value))).equals(cid))
  assert.is(bs.stats.blocksWritten, written)
  // streamed, chunk by chunk
  let total = 0
  for await (const chunk of bs.readLarge(cid)) total += chunk.byteLength
  assert.is(total, value.byteLength)
})

blocks('the manifest is the deterministic CBOR { size, type, chunks } of the brief', async () => {
  const cid = await bs.putLarge(utf8('small'))
  const bytes = (await bs.get(cid))!
  const chunk = cidOf(utf8('small'))
  assert.equal(bytes, encodeManifest({ size: 5, level: 0, chunks: [chunk] }))
  const { Decoder } = await import('cbor-x')
  const plain = new Decoder({ mapsAsObjects: true }).decode(bytes)
  assert.equal(Object.keys(plain), ['size', 'type', 'chunks'])
  assert.is(plain.type, MANIFEST_TYPE)
  assert.equal(new Uint8Array(plain.chunks[0]), chunk.bytes)
  assert.equal(await bs.getLarge(await bs.putLarge(new Uint8Array(0))), new Uint8Array(0))
})

blocks('getLarge finds a corrupted chunk, a missing chunk and a plain block given as a manifest', async () => {
  const value = randomBytes(2.5 * 1024 * 1024)
  const cid = await bs.putLarge(value)
  const manifest = decodeManifest(cid, (await bs.get(cid))!)
  const second = manifest.chunks[1]!
  const good = (await bs.get(second))!
  await corrupt(store, second, good.subarray(1))
  const err = await rejects(bs.getLarge(cid), 'CorruptBlockError')
  assert.match(err.message, second.toString())
  await bs.delete(second)
  assert.match((await rejects(bs.getLarge(cid), 'BlockNotFoundError')).message, second.toString())
  await bs.put(good)
  assert.equal(await bs.getLarge(cid), new Uint8Array(value))
  const plain = await bs.put(utf8('not a manifest'))
  assert.match((await rejects(bs.getLarge(plain), 'InvalidManifestError')).message, plain.toString())
})

blocks('getLarge refuses a manifest whose size disagrees with its chunks', async () => {
  const a = await bs.put(randomBytes(1000))
  const lying = await bs.put(encodeManifest({ size: 999, level: 0, chunks: [a] }))
  assert.match((await rejects(bs.getLarge(lying), 'InvalidManifestError')).message, 'size of 999')
  const short = await bs.put(encodeManifest({ size: 1001, level: 0, chunks: [a] }))
  await rejects(bs.getLarge(short), 'InvalidManifestError')
  await rejects(bs.getLarge(lying, { maxBytes: 10 }), 'BlockTooLargeError')
})

blocks('manifests nest when a value has more chunks than a manifest may list', async () => {
  const small = new BlockStore({ store }, { chunkBytes: 1000, maxManifestEntries: 4 })
  const value = randomBytes(50_500) // 51 chunks -> 13 manifests -> 4 -> 1
  const cid = await small.putLarge(value)
  const root = decodeManifest(cid, (await small.get(cid))!)
  assert.is(root.level, 2)
  assert.is(root.size, value.byteLength)
  assert.equal(await small.getLarge(cid), new Uint8Array(value))
  // one byte different: only the touched chunk and its manifests are new
  const before = small.stats.blocksWritten
  const changed = Uint8Array.from(value)
  changed[25_000] = changed[25_000]! ^ 0xff
  const cid2 = await small.putLarge(changed)
  assert.not.ok(cid2.equals(cid))
  assert.is(small.stats.blocksWritten - before, 4, 'one chunk and three manifests')
  assert.equal(await small.getLarge(cid2), changed)
})

blocks('cids lists every stored block and nothing deleted', async () => {
  const cids = await bs.putMany([utf8('a'), utf8('b'), utf8('c')])
  await bs.delete(cids[1]!)
  const listed: string[] = []
  for await (const cid of bs.cids()) listed.push(cid.toString())
  assert.equal(listed.sort(), [cids[0]!.toString(), cids[2]!.toString()].sort())
  assert.ok(parseCid(listed[0]!).equals(parseCid(listed[0]!)))
})

blocks('block writes and another writer taking the store\'s write lock interleave without losing a write', async () => {
  const lock = storeWriteLock(store)
  assert.is(storeWriteLock(store), lock, 'one lock per store')
  const metas = Array.from({ length: 50 }, (_, i) => lock.run(async () => {
    await store.db.insert('@meshflow/meta', { key: `k${i}`, value: Buffer.from([i]) })
    await store.db.flush()
  }))
  const data = Array.from({ length: 50 }, () => randomBytes(100_000))
  const puts = data.map(d => bs.put(d))
  const failing = rejects(lock.run(async () => { throw new Error('a writer fails') }), 'Error')
  await Promise.all([...metas, ...puts])
  await failing
  await store.close()
  store = await PeerStore.open(dir)
  bs = new BlockStore({ store })
  for (let i = 0; i < 50; i++) assert.equal(await store.getMeta(`k${i}`), Uint8Array.of(i))
  for (const d of data) assert.ok(await bs.has(cidOf(d)))
})

/** The stamps `stored()` lists, by CID string. */
async function stamps (b: BlockStore): Promise<Map<string, { storedAt: number, size: number }>> {
  const out = new Map<string, { storedAt: number, size: number }>()
  for await (const s of b.stored()) out.set(s.cid.toString(), { storedAt: s.storedAt, size: s.size })
  return out
}

blocks('stored lists each block with the time it was stored and its size', async () => {
  let now = 1_000_000
  const timed = new BlockStore({ store }, { now: () => now })
  const a = await timed.put(utf8('first'))
  now += 5000
  const b = await timed.put(randomBytes(3000))
  assert.equal(await stamps(timed), new Map([
    [a.toString(), { storedAt: 1_000_000, size: 5 }],
    [b.toString(), { storedAt: 1_005_000, size: 3000 }]
  ]))
  await timed.delete(a)
  assert.equal([...(await stamps(timed)).keys()], [b.toString()])
})

blocks('a put of a held block re-stamps it once its stamp is restampAfterMs old, without writing the block', async () => {
  let now = 1_000_000
  const timed = new BlockStore({ store }, { now: () => now, restampAfterMs: 60_000 })
  const cid = await timed.put(utf8('state chunk'))
  now += 59_999
  await timed.put(utf8('state chunk'))
  assert.is((await stamps(timed)).get(cid.toString())!.storedAt, 1_000_000, 'a recent stamp is kept')
  now += 1
  await timed.put(utf8('state chunk'))
  assert.is((await stamps(timed)).get(cid.toString())!.storedAt, 1_060_000)
  assert.is(timed.stats.blocksWritten, 1)
  assert.is(timed.stats.restamps, 1)
})

blocks('deleteIfStoredBefore removes a block only while its stamp is older than the cutoff', async () => {
  let now = 1_000_000
  const timed = new BlockStore({ store }, { now: () => now, restampAfterMs: 0 })
  const cid = await timed.put(utf8('old'))
  assert.is(await timed.deleteIfStoredBefore(cid, 1_000_000), false, 'not older than the cutoff')
  now = 2_000_000
  await timed.put(utf8('old')) // re-stamped at 2_000_000
  assert.is(await timed.deleteIfStoredBefore(cid, 1_500_000), false, 'the put since wins')
  assert.ok(await timed.has(cid))
  assert.is(await timed.deleteIfStoredBefore(cid, 2_000_001), true)
  assert.is(await timed.has(cid), false)
  assert.equal(await stamps(timed), new Map())
  assert.is(timed.stats.blocksCollected, 1)
})

blocks('a put racing deleteIfStoredBefore of the same block is never lost', async () => {
  let now = 1_000_000
  const timed = new BlockStore({ store }, { now: () => now, restampAfterMs: 0 })
  const data = Array.from({ length: 30 }, (_, i) => utf8(`block ${i}`))
  const cids = await timed.putMany(data)
  now = 2_000_000
  // each put reads the block as held, then queues its re-stamp behind or before the delete
  const results = await Promise.all(cids.flatMap((cid, i) => [
    timed.deleteIfStoredBefore(cid, 1_500_000).then(() => undefined),
    timed.put(data[i]!).then(() => undefined)
  ]))
  assert.is(results.length, 60)
  for (const cid of cids) assert.ok(await timed.has(cid), `${cid.toString()} was put, so it must be there`)
  const listed = await stamps(timed)
  for (const cid of cids) assert.is(listed.get(cid.toString())!.storedAt, 2_000_000)
})

blocks('blocks from a store without stamps are stamped with the time stored first sees them', async () => {
  const cids = await bs.putMany([utf8('legacy a'), utf8('legacy b')])
  // as a store written before block stamps: no info records, no meta note
  await storeWriteLock(store).run(async () => {
    for (const cid of cids) await store.db.delete('@meshflow/block-info', { cid: Buffer.from(cid.bytes) })
    await store.db.delete('@meshflow/meta', { key: 'blocks-stamped' })
    await store.db.flush()
  })
  await store.close()
  store = await PeerStore.open(dir)
  const timed = new BlockStore({ store }, { now: () => 7_000_000 })
  assert.equal(await stamps(timed), new Map(cids.map(c => [c.toString(), { storedAt: 7_000_000, size: 8 }])))
  assert.ok(await store.getMeta('blocks-stamped') !== undefined)
  // later stamps are not reset by a second look
  const later = new BlockStore({ store }, { now: () => 9_000_000 })
  assert.is((await stamps(later)).get(cids[0]!.toString())!.storedAt, 7_000_000)
})

blocks('a new store notes on its first write that it holds no blocks without stamps', async () => {
  assert.is(await store.getMeta('blocks-stamped'), undefined)
  await bs.put(utf8('first'))
  assert.ok(await store.getMeta('blocks-stamped') !== undefined)
})

blocks.run()
