import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerStore } from '../../../node/storage/peer-store.ts'
import { loadOrCreatePrivateKey } from '../../../node/mesh/identity.ts'

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

store.run()
