/**
 * IncrementalKeyedSnapshot and readKeyedState together: what a chain of chunks holds, what
 * a snapshot writes (full bases in bounded chunks, small deltas, nothing when unchanged),
 * and that reading the chain rebuilds the state of the reader's key groups.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ValueStateDescriptor, type Key } from 'meshflow'
import type { StateChunk } from '../../../../node/runtime/checkpoint.ts'
import { keyGroupOf, keyGroupRange } from '../../../../node/graph/key-groups.ts'
import { HeapKeyedStateBackend } from '../../../../node/runtime/state/heap-keyed-state-backend.ts'
import { IncrementalKeyedSnapshot, type KeyedStateView } from '../../../../node/runtime/state/incremental-keyed-snapshot.ts'
import { MAX_CHUNK_BYTES, TARGET_CHUNK_BYTES } from '../../../../node/runtime/state/keyed-chunk.ts'
import { readKeyedState, type RestoredKeyedState } from '../../../../node/runtime/state/read-keyed-state.ts'
import { cidOf } from '../../../../protocol/cid.ts'

const Snapshots = suite('IncrementalKeyedSnapshot')

const MP = 128
const ALL = { start: 0, end: MP - 1 }

/** Entries by namespace, telling the snapshot what changes. */
class Entries {
  readonly data = new Map<string, Map<Key, unknown>>()
  readonly snapshots: IncrementalKeyedSnapshot
  readonly view: KeyedStateView = {
    forEach: visit => { for (const [ns, m] of this.data) for (const [k, v] of m) visit(ns, k, v) },
    get: (ns, k) => this.data.get(ns)?.get(k)
  }

  constructor (init: { track?: boolean, keyGroups?: { start: number, end: number }, maxDeltas?: number } = {}) {
    this.snapshots = new IncrementalKeyedSnapshot({ maxParallelism: MP, keyGroups: init.keyGroups ?? ALL, trackChanges: init.track ?? true, ...(init.maxDeltas === undefined ? {} : { maxDeltas: init.maxDeltas }) })
  }

  set (ns: string, key: Key, value: unknown): void {
    let m = this.data.get(ns)
    if (m === undefined) this.data.set(ns, m = new Map())
    m.set(key, value)
    this.snapshots.changes(ns)?.add(key)
  }

  delete (ns: string, key: Key): void {
    this.data.get(ns)?.delete(key)
    this.snapshots.changes(ns)?.add(key)
  }

  drop (ns: string): void {
    this.data.delete(ns)
    this.snapshots.drop(ns)
  }
}

/** Block store: remembers bytes by CID, resolves a chain. */
function blockStore () {
  const blocks = new Map<string, Uint8Array>()
  return {
    put (chunks: readonly StateChunk[]): number {
      let n = 0
      for (const c of chunks) {
        if (c.bytes === undefined) continue
        assert.is(cidOf(c.bytes).toString(), c.cid, 'a chunk CID is the CID of its bytes')
        assert.ok(c.bytes.byteLength <= MAX_CHUNK_BYTES, 'a chunk fits in a block')
        blocks.set(c.cid, c.bytes.slice())
        n += c.bytes.byteLength
      }
      return n
    },
    resolve (chunks: readonly StateChunk[]): Uint8Array[] {
      return chunks.map(c => {
        const b = blocks.get(c.cid)
        if (b === undefined) throw new Error(`chunk ${c.cid} was never stored`)
        return b
      })
    }
  }
}

function read (keyed: Uint8Array[], keyGroups = ALL): RestoredKeyedState {
  return readKeyedState({ keyed, keyGroups }, MP)
}

function asObject (r: RestoredKeyedState): Record<string, Array<[Key, unknown]>> {
  const out: Record<string, Array<[Key, unknown]>> = {}
  for (const [ns, m] of [...r.namespaces].sort((a, b) => a[0] < b[0] ? -1 : 1)) out[ns] = [...m].sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1)
  return out
}

Snapshots('writes no chunk for empty state without a watermark, and one with only a watermark', () => {
  const e = new Entries()
  assert.equal(e.snapshots.snapshot(1, e.view), [])
  assert.equal(read([]).watermark, Number.NEGATIVE_INFINITY)
  const chunks = e.snapshots.snapshot(2, e.view, { watermark: 42 })
  assert.is(chunks.length, 1)
  const r = read(chunks.map(c => c.bytes!))
  assert.is(r.watermark, 42)
  assert.is(r.entries, 0)
})

Snapshots('a full snapshot rebuilds every entry: maps, sets, bigints, nested objects, every kind of key', () => {
  const e = new Entries()
  const values: Array<[Key, unknown]> = [
    ['str', { a: 1, b: [1, 'x', null, undefined], c: new Map<unknown, unknown>([[1, { v: 2, t: 3 }], ['k', [1, 2]]]) }],
    [7, new Set([1, 2, 3])],
    [-1.5, 12345678901234567890n],
    [9007199254740993n, 'big key'],
    [true, [new Date(5)]],
    ['', -Infinity]
  ]
  for (const [k, v] of values) e.set('ns', k, v)
  const store = blockStore()
  const chunks = e.snapshots.snapshot(1, e.view)
  store.put(chunks)
  const r = read(store.resolve(chunks))
  assert.equal(r.namespaces.get('ns'), new Map(values))
})

Snapshots('a snapshot is a copy: changing state afterwards does not change what it holds', () => {
  const e = new Entries()
  const obj = { n: 1, list: [1] }
  e.set('ns', 'a', obj)
  const chunks = e.snapshots.snapshot(1, e.view)
  const bytes = chunks[0]!.bytes!.slice()
  obj.n = 2
  obj.list.push(2)
  e.set('ns', 'b', 'new')
  e.snapshots.snapshot(2, e.view)
  assert.equal(chunks[0]!.bytes, bytes)
  assert.equal(read([chunks[0]!.bytes!]).namespaces.get('ns'), new Map([['a', { n: 1, list: [1] }]]))
})

Snapshots('unchanged state gives the same chunks, by CID only, once the checkpoint that carried them completed', () => {
  const e = new Entries()
  for (let i = 0; i < 5000; i++) e.set('v', `k${i}`, i)
  const first = e.snapshots.snapshot(1, e.view, { watermark: 10 })
  assert.ok(first.every(c => c.bytes !== undefined))
  const again = e.snapshots.snapshot(2, e.view, { watermark: 10 })
  assert.equal(again.map(c => c.cid), first.map(c => c.cid))
  assert.ok(again.every(c => c.bytes !== undefined), 'sent again while no checkpoint carrying them completed')
  e.snapshots.complete(2)
  const third = e.snapshots.snapshot(3, e.view, { watermark: 10 })
  assert.equal(third, first.map(c => ({ cid: c.cid })))
  assert.is(e.snapshots.stats?.mode, 'unchanged')
  // a new watermark alone is a tiny delta
  const fourth = e.snapshots.snapshot(4, e.view, { watermark: 11 })
  assert.is(fourth.length, first.length + 1)
  assert.ok(fourth.at(-1)!.bytes!.byteLength < 200)
})

Snapshots('the second snapshot after 1% of 100,000 value-state keys changed writes under 5% of the first', () => {
  let now = 0
  const snapshots = new IncrementalKeyedSnapshot({ maxParallelism: MP, keyGroups: ALL, trackChanges: true })
  const backend = new HeapKeyedStateBackend(() => now, { changes: ns => snapshots.changes(ns) })
  const view: KeyedStateView = { forEach: visit => { backend.forEachEntry(visit) }, get: (ns, k) => backend.entry(ns, k) }
  const state = backend.getState(new ValueStateDescriptor<number>('count'))
  for (let i = 0; i < 100_000; i++) {
    backend.currentKey = `key-${i}`
    state.update(i)
  }
  const store = blockStore()
  const first = snapshots.snapshot(1, view, { meta: backend.meta() })
  const firstBytes = store.put(first)
  snapshots.complete(1)
  assert.ok(first.length > 1, 'a large base is cut in several chunks')
  for (let i = 0; i < 100_000; i += 100) {
    backend.currentKey = `key-${i}`
    if (i % 500 === 0) state.update(undefined as unknown as number) // a delete
    else state.update(-i)
  }
  now = 5
  const second = snapshots.snapshot(2, view, { meta: backend.meta() })
  const secondBytes = store.put(second)
  assert.is(snapshots.stats?.mode, 'delta')
  assert.is(second.filter(c => c.bytes !== undefined).length, 1, 'one new delta chunk')
  assert.ok(secondBytes < firstBytes * 0.05, `delta ${secondBytes} B vs base ${firstBytes} B`)
  assert.ok(secondBytes < firstBytes * 0.02, `delta ${secondBytes} B vs base ${firstBytes} B (about 1%)`)
  // the chain rebuilds the state
  const r = read(store.resolve(second))
  const m = r.namespaces.get('s:count')!
  assert.is(m.size, 100_000 - 200)
  assert.is(m.get('key-100'), -100)
  assert.is(m.get('key-101'), 101)
  assert.is(m.has('key-500'), false)
})

Snapshots('a full base is cut in chunks of about 512 KiB; an entry larger than a chunk is split and joined again', () => {
  const e = new Entries()
  const big = 'x'.repeat(3 * 1024 * 1024)
  for (let i = 0; i < 40_000; i++) e.set('v', i, `value-${i}-${'y'.repeat(30)}`)
  e.set('big', 'huge', { big, tail: [1, 2, 3] })
  const store = blockStore()
  const chunks = e.snapshots.snapshot(1, e.view)
  store.put(chunks)
  const sizes = chunks.map(c => c.bytes!.byteLength)
  assert.ok(sizes.every(s => s <= MAX_CHUNK_BYTES))
  assert.ok(sizes.filter(s => s > TARGET_CHUNK_BYTES * 0.5).length >= 4, `chunks near the target: ${sizes.join(', ')}`)
  const r = read(store.resolve(chunks))
  assert.is(r.namespaces.get('v')!.size, 40_000)
  assert.equal(r.namespaces.get('big')!.get('huge'), { big, tail: [1, 2, 3] })
  // and in a delta
  e.set('big', 'huge', { big: big + 'z', tail: [] })
  const delta = e.snapshots.snapshot(2, e.view)
  store.put(delta)
  assert.equal(read(store.resolve(delta)).namespaces.get('big')!.get('huge'), { big: big + 'z', tail: [] })
})

Snapshots('deletes are tombstones and a dropped namespace goes as a whole', () => {
  const e = new Entries()
  for (let i = 0; i < 100; i++) {
    e.set('w:0:10', i, i)
    e.set('w:10:20', i, i)
  }
  const store = blockStore()
  store.put(e.snapshots.snapshot(1, e.view))
  e.snapshots.complete(1)
  e.drop('w:0:10')
  e.delete('w:10:20', 5)
  e.set('w:10:20', 6, 'six')
  const delta = e.snapshots.snapshot(2, e.view)
  assert.ok(store.put(delta) < 200, 'a drop and two entries')
  const r = read(store.resolve(delta))
  assert.is(r.namespaces.has('w:0:10'), false)
  assert.is(r.namespaces.get('w:10:20')!.size, 99)
  assert.is(r.namespaces.get('w:10:20')!.get(6), 'six')
  // a namespace dropped and filled again in one snapshot
  e.drop('w:10:20')
  e.set('w:10:20', 1, 'again')
  const d2 = e.snapshots.snapshot(3, e.view)
  store.put(d2)
  assert.equal(read(store.resolve(d2)).namespaces.get('w:10:20'), new Map([[1, 'again']]))
})

Snapshots('the chain compacts into a fresh base after maxDeltas deltas, or when most entries changed', () => {
  const e = new Entries({ maxDeltas: 3 })
  for (let i = 0; i < 1000; i++) e.set('v', i, i)
  const store = blockStore()
  const modes: string[] = []
  for (let ck = 1; ck <= 6; ck++) {
    e.set('v', ck, -ck)
    const chunks = e.snapshots.snapshot(ck, e.view)
    store.put(chunks)
    e.snapshots.complete(ck)
    modes.push(e.snapshots.stats!.mode)
    const r = read(store.resolve(chunks))
    assert.is(r.namespaces.get('v')!.get(ck), -ck)
  }
  assert.equal(modes, ['full', 'delta', 'delta', 'delta', 'full', 'delta'])
  for (let i = 0; i < 600; i++) e.set('v', i, 'changed')
  e.snapshots.snapshot(7, e.view)
  assert.is(e.snapshots.stats!.mode, 'full', 'more than half the entries changed')
})

Snapshots('without change tracking every snapshot is full, and equal state gives equal chunks', () => {
  const e = new Entries({ track: false })
  for (let i = 0; i < 1000; i++) e.set('v', i, i)
  const a = e.snapshots.snapshot(1, e.view)
  const b = e.snapshots.snapshot(2, e.view)
  assert.is(e.snapshots.stats!.mode, 'full')
  assert.is(a.length, b.length)
  assert.ok(b.every(c => c.bytes !== undefined))
})

Snapshots('a reader keeps its key groups; it builds on the chain only when the chain holds exactly them', () => {
  const store = blockStore()
  // two writers at parallelism 2, each with its own key groups
  const writers = [0, 1].map(i => new Entries({ keyGroups: keyGroupRange(i, 2, MP) }))
  for (let k = 0; k < 2000; k++) {
    const g = keyGroupOf(k, MP)
    writers[g < 64 ? 0 : 1]!.set('v', k, k * 2)
  }
  const chains = writers.map((w, i) => {
    const c = w.snapshots.snapshot(1, w.view, { watermark: 100 + i })
    store.put(c)
    return store.resolve(c)
  })
  // 2 -> 1: everything, the minimum watermark, a chain to build on
  const merged = read([...chains[0]!, ...chains[1]!])
  assert.is(merged.entries, 2000)
  assert.is(merged.watermark, 100)
  assert.ok(merged.chain !== undefined)
  // 2 -> 4: each new subtask its quarter of the keys, and a full snapshot next
  let total = 0
  for (let j = 0; j < 4; j++) {
    const range = keyGroupRange(j, 4, MP)
    const r = read(chains[j < 2 ? 0 : 1]!, range)
    for (const k of r.namespaces.get('v')!.keys()) {
      const g = keyGroupOf(k, MP)
      assert.ok(g >= range.start && g <= range.end)
    }
    total += r.entries
    assert.is(r.chain, undefined)
    assert.is(r.watermark, j < 2 ? 100 : 101)
    const e = new Entries({ keyGroups: range })
    e.snapshots.adopt(r)
    e.data.set('v', new Map(r.namespaces.get('v')))
    e.snapshots.snapshot(2, e.view)
    assert.is(e.snapshots.stats!.mode, 'full')
  }
  assert.is(total, 2000)
  // same parallelism: the next snapshot adds to the restored chain
  const again = read(chains[0]!, keyGroupRange(0, 2, MP))
  const e = new Entries({ keyGroups: keyGroupRange(0, 2, MP) })
  e.data.set('v', new Map(again.namespaces.get('v')))
  e.snapshots.adopt(again)
  const unchanged = e.snapshots.snapshot(2, e.view, { watermark: 100 })
  assert.equal(unchanged.map(c => c.cid), chains[0]!.map(b => cidOf(b).toString()))
  assert.ok(unchanged.every(c => c.bytes === undefined))
})
Snapshots.run()
