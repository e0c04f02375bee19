/**
 * readKeyedState: rejects what is not a keyed-state chunk with a StateRestoreError that
 * names the block, and applies chunks of several writers with their key groups and
 * watermarks.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { keyGroupOf } from '../../../../node/graph/key-groups.ts'
import { encodeKeyedChunk, KEYED_CHUNK_VERSION, type KeyedChunk } from '../../../../node/runtime/state/keyed-chunk.ts'
import { readKeyedState } from '../../../../node/runtime/state/read-keyed-state.ts'
import { encodeCbor } from '../../../../protocol/cbor.ts'
import { cidOf } from '../../../../protocol/cid.ts'

const Reader = suite('readKeyedState')

const MP = 128
const ALL = { start: 0, end: MP - 1 }

function chunk (more: Partial<KeyedChunk> = {}): KeyedChunk {
  return { v: KEYED_CHUNK_VERSION, kind: 'base', ck: 1, mp: MP, kg: [0, MP - 1], wm: Number.NEGATIVE_INFINITY, meta: [], drop: [], del: [], put: [], part: null, ...more }
}

function rejects (bytes: Uint8Array, pattern: RegExp): void {
  try {
    readKeyedState({ keyed: [bytes], keyGroups: ALL }, MP)
  } catch (err) {
    assert.is((err as Error).name, 'StateRestoreError')
    assert.match((err as Error).message, pattern)
    return
  }
  assert.unreachable('restored from a bad chunk')
}

Reader('rejects bytes that are not a keyed-state chunk, naming the block', () => {
  const junk = new Uint8Array([0xff, 0x00, 0x13])
  rejects(junk, new RegExp(`chunk 0 \\(block ${cidOf(junk).toString()}\\) is not CBOR`))
  rejects(encodeCbor('hello'), /is not a record/)
  rejects(encodeCbor({ v: 99 }), /has version 99/)
  rejects(encodeKeyedChunk(chunk({ kg: [5, 2] })), /key-group range/)
  rejects(encodeKeyedChunk(chunk({ put: ['ns', [1, 'k']] })), /malformed put entries/)
  rejects(encodeKeyedChunk(chunk({ put: ['ns', [1.5, 'k', 1]] })), /malformed put entry in namespace 'ns'/)
  rejects(encodeKeyedChunk(chunk({ put: ['ns', [1, { not: 'a key' }, 1]] })), /malformed put entry/)
  rejects(encodeKeyedChunk(chunk({ put: ['ns', [MP + 3, 'k', 1]] })), /key group 131, outside 0..127/)
  rejects(encodeKeyedChunk(chunk({ del: [7, []] })), /malformed del entries/)
  rejects(encodeKeyedChunk(chunk({ part: ['ns', 1, 'k', 1, 1, new Uint8Array(1)] })), /malformed part/)
  rejects(encodeKeyedChunk(chunk({ part: ['ns', 1, 'k', 0, 2, new Uint8Array(1)] })), /incomplete/)
})

Reader('rejects chunks written with another max parallelism', () => {
  rejects(encodeKeyedChunk(chunk({ mp: 256 })), /max parallelism 256, the job has 128/)
})

Reader('applies writers in order within their key groups, and takes the smallest of their watermarks', () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(k => keyGroupOf(k, MP) < 64)
  const high = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(k => keyGroupOf(k, MP) >= 64)
  const put = (keys: number[]): unknown[] => ['n', keys.flatMap(k => [keyGroupOf(k, MP), k, k])]
  const a = encodeKeyedChunk(chunk({ kg: [0, 63], wm: 50, put: put(low) }))
  const b = encodeKeyedChunk(chunk({ kg: [64, 127], wm: 30, put: put(high) }))
  // writer b drops 'n': only its own key groups lose it
  const bDrop = encodeKeyedChunk(chunk({ kind: 'delta', kg: [64, 127], wm: 40, drop: ['n'] }))
  const r = readKeyedState({ keyed: [a, b, bDrop], keyGroups: ALL }, MP)
  assert.equal([...r.namespaces.get('n')!.keys()].sort(), low.sort())
  assert.is(r.watermark, 40, 'the last chunk of each writer counts')
  // a key group no chunk covers has no watermark yet
  assert.is(readKeyedState({ keyed: [a], keyGroups: ALL }, MP).watermark, Number.NEGATIVE_INFINITY)
  assert.is(readKeyedState({ keyed: [a], keyGroups: { start: 0, end: 63 } }, MP).watermark, 50)
})
Reader.run()
