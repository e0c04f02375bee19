import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { loadOrCreatePrivateKey } from '../../../node/mesh/identity.ts'
import { corruptWal } from './fixtures/corrupt-wal.ts'

const store = suite('PeerStore')
let dir = ''
store.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-store-')) })
store.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

store('keeps metadata across a close and reopen', async () => {
  const a = await PeerStore.open(dir)
  assert.is(await a.getMeta('x'), undefined)
  await a.putMeta('x', new Uint8Array([1, 2, 3]))
  await a.close()
  const b = await PeerStore.open(dir)
  assert.equal(await b.getMeta('x'), new Uint8Array([1, 2, 3]))
  await b.close()
})

store('keeps the peer identity across restarts', async () => {
  const a = await PeerStore.open(dir)
  const k1 = await loadOrCreatePrivateKey(a)
  await a.close()
  const b = await PeerStore.open(dir)
  const k2 = await loadOrCreatePrivateKey(b)
  await b.close()
  assert.ok(k1.equals(k2))
})

store('fails with a StoreOpenError naming the directory when it cannot be created', async () => {
  const file = join(dir, 'not-a-dir')
  writeFileSync(file, 'x')
  try {
    await PeerStore.open(file)
    assert.unreachable('opened a store under a file')
  } catch (err) {
    assert.is((err as Error).name, 'StoreOpenError')
    assert.match((err as Error).message, join(file, 'db'))
  }
})

store('refuses a second open of the same directory while the first is open', async () => {
  mkdirSync(join(dir, 'x'))
  const a = await PeerStore.open(dir)
  try {
    await PeerStore.open(dir)
    assert.unreachable('RocksDB allowed two writers')
  } catch (err) {
    assert.is((err as Error).name, 'StoreOpenError')
  } finally {
    await a.close()
  }
})

store('refuses a store whose write-ahead log is damaged with a RaftStateDamagedError naming the data dir, and with repair keeps what precedes the damage', async () => {
  const a = await PeerStore.open(dir)
  for (let i = 0; i < 40; i++) await a.putMeta(`k${i}`, new Uint8Array(200).fill(i))
  await a.close()
  corruptWal(dir)
  try {
    await PeerStore.open(dir)
    assert.unreachable('opened a store with a damaged write-ahead log')
  } catch (err) {
    assert.is((err as Error).name, 'RaftStateDamagedError')
    assert.match((err as Error).message, `The Raft state in ${dir} is damaged`)
    assert.match((err as Error).message, 'write-ahead log')
  }
  const repaired = await PeerStore.open(dir, { repair: true })
  assert.type(repaired.recoveredFrom, 'string')
  assert.equal(await repaired.getMeta('k0'), new Uint8Array(200).fill(0))
  assert.is(await repaired.getMeta('k39'), undefined, 'the records after the damage are gone')
  await repaired.close()
  // the damaged log was replayed and retired: the store opens normally again
  const again = await PeerStore.open(dir)
  assert.is(again.recoveredFrom, undefined)
  assert.equal(await again.getMeta('k0'), new Uint8Array(200).fill(0))
  await again.close()
})

store.run()
