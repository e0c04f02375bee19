import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeDatasetManifest } from '../../../../node/storage/datasets/dataset-manifest.ts'
import { ManifestCache } from '../../../../node/storage/datasets/manifest-cache.ts'
import { sampleManifest } from './sample-manifest.ts'

const test = suite('ManifestCache')

test('decodes a manifest block once for every later read of it', async () => {
  const fetched: string[] = []
  const bytes = encodeDatasetManifest(sampleManifest())
  const cache = new ManifestCache({ fetchBlock: async cid => { fetched.push(cid); return bytes } })
  const a = await cache.get('m1')
  const b = await cache.get('m1')
  assert.equal(a, sampleManifest())
  assert.is(a, b, 'the same decoded manifest')
  assert.equal(fetched, ['m1'])
})

test('keeps no failure: a fetch that failed, or bytes that are no manifest, are fetched again', async () => {
  let calls = 0
  const cache = new ManifestCache({
    fetchBlock: async () => {
      calls++
      if (calls === 1) throw new Error('Block not found')
      return calls === 2 ? new Uint8Array([1, 2, 3]) : encodeDatasetManifest(sampleManifest())
    }
  })
  try { await cache.get('m'); assert.unreachable() } catch (err) { assert.match((err as Error).message, 'Block not found') }
  try { await cache.get('m'); assert.unreachable() } catch (err) { assert.is((err as Error).name, 'InvalidDatasetManifestError') }
  assert.equal(await cache.get('m'), sampleManifest())
  assert.is(calls, 3)
})

test('keeps at most `entries` manifests, dropping the least recently used', async () => {
  const fetched: string[] = []
  const bytes = encodeDatasetManifest(sampleManifest())
  const cache = new ManifestCache({ fetchBlock: async cid => { fetched.push(cid); return bytes } }, { entries: 2 })
  await cache.get('a')
  await cache.get('b')
  await cache.get('a') // a is now the most recent
  await cache.get('c') // drops b
  await cache.get('a')
  await cache.get('b')
  assert.equal(fetched, ['a', 'b', 'c', 'b'])
})

test.run()
