/**
 * HeapKeyedStateBackend: every kind of keyed state reads and writes the entry of the
 * current key; TTL follows Flink's StateTtlConfig (processing time, expired values never
 * returned, list elements and map entries expiring one by one). A manual clock makes the
 * TTL cases exact.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor,
  ValueStateDescriptor
} from 'meshflow'
import type { Key } from 'meshflow'
import { HeapKeyedStateBackend } from '../../../../node/runtime/state/heap-keyed-state-backend.ts'

const Backend = suite('HeapKeyedStateBackend')

function backend (): { b: HeapKeyedStateBackend, clock: { now: number } } {
  const clock = { now: 0 }
  return { b: new HeapKeyedStateBackend(() => clock.now), clock }
}

Backend('value state: per key, with the descriptor default, cleared by clear() and update(undefined)', () => {
  const { b } = backend()
  const s = b.getState(new ValueStateDescriptor<number>('n', 7))
  b.currentKey = 'a'
  assert.is(s.value(), 7)
  s.update(1)
  b.currentKey = 'b'
  assert.is(s.value(), 7)
  s.update(2)
  b.currentKey = 'a'
  assert.is(s.value(), 1)
  s.clear()
  assert.is(s.value(), 7)
  b.currentKey = 'b'
  s.update(undefined as unknown as number)
  assert.is(s.value(), 7)
  assert.is(b.tables.get('n')!.data.size, 0)
})

Backend('list state: add, addAll, update, get returns a copy, per key', () => {
  const { b } = backend()
  const s = b.getListState(new ListStateDescriptor<string>('l'))
  b.currentKey = 'a'
  assert.equal(s.get(), [])
  s.add('x')
  s.addAll(['y', 'z'])
  s.get().push('not stored')
  b.currentKey = 'b'
  s.add('q')
  b.currentKey = 'a'
  assert.equal(s.get(), ['x', 'y', 'z'])
  s.update(['w'])
  assert.equal(s.get(), ['w'])
  s.update([])
  assert.equal(s.get(), [])
  b.currentKey = 'b'
  assert.equal(s.get(), ['q'])
})

Backend('map state: put, get, contains, remove, iteration, isEmpty, per key', () => {
  const { b } = backend()
  const s = b.getMapState(new MapStateDescriptor<string, number>('m'))
  b.currentKey = 1
  assert.ok(s.isEmpty())
  s.put('x', 1)
  s.put('y', 2)
  s.put('x', 3)
  b.currentKey = 2
  s.put('x', 100)
  b.currentKey = 1
  assert.is(s.get('x'), 3)
  assert.ok(s.contains('y'))
  assert.not.ok(s.contains('z'))
  assert.equal([...s.entries()], [['x', 3], ['y', 2]])
  assert.equal([...s.keys()], ['x', 'y'])
  assert.equal([...s.values()], [3, 2])
  s.remove('x')
  s.remove('y')
  assert.ok(s.isEmpty())
  b.currentKey = 2
  assert.equal([...s.entries()], [['x', 100]])
  s.clear()
  assert.ok(s.isEmpty())
})

Backend('reducing and aggregating state: per key, get is undefined when empty', () => {
  const { b } = backend()
  const r = b.getReducingState(new ReducingStateDescriptor<number>('max', (x, y) => Math.max(x, y)))
  const avg = b.getAggregatingState(new AggregatingStateDescriptor<number, [number, number], number>('avg', {
    createAccumulator: () => [0, 0],
    add: (v, [s, n]) => [s + v, n + 1],
    getResult: ([s, n]) => s / n
  }))
  b.currentKey = 'a'
  assert.is(r.get(), undefined)
  assert.is(avg.get(), undefined)
  for (const v of [3, 9, 6]) { r.add(v); avg.add(v) }
  b.currentKey = 'b'
  r.add(-1)
  avg.add(10)
  b.currentKey = 'a'
  assert.is(r.get(), 9)
  assert.is(avg.get(), 6)
  r.clear()
  avg.clear()
  assert.is(r.get(), undefined)
  assert.is(avg.get(), undefined)
  b.currentKey = 'b'
  assert.is(r.get(), -1)
  assert.is(avg.get(), 10)
})

Backend('one name cannot be two kinds of state', () => {
  const { b } = backend()
  b.getState(new ValueStateDescriptor('x'))
  assert.throws(() => b.getListState(new ListStateDescriptor('x')), /State 'x' was declared as value state and again as list state/)
})

Backend('TTL of value state: gone once ttl ms passed since the last write (OnCreateAndWrite)', () => {
  const { b, clock } = backend()
  const s = b.getState(new ValueStateDescriptor<string>('v').enableTimeToLive({ ttlMs: 100 }))
  b.currentKey = 'a'
  s.update('x')
  clock.now = 60
  assert.is(s.value(), 'x', 'reads do not extend the life')
  clock.now = 99
  assert.is(s.value(), 'x')
  clock.now = 100
  assert.is(s.value(), undefined)
  s.update('y')
  clock.now = 150
  s.update('z')
  clock.now = 249
  assert.is(s.value(), 'z', 'a write restarts the clock')
  clock.now = 250
  assert.is(s.value(), undefined)
})

Backend('TTL OnReadAndWrite: a read restarts the clock', () => {
  const { b, clock } = backend()
  const s = b.getState(new ValueStateDescriptor<string>('v').enableTimeToLive({ ttlMs: 100, updateType: 'OnReadAndWrite' }))
  b.currentKey = 'a'
  s.update('x')
  clock.now = 90
  assert.is(s.value(), 'x')
  clock.now = 180
  assert.is(s.value(), 'x')
  clock.now = 280
  assert.is(s.value(), undefined)
})

Backend('TTL of reducing and aggregating state: per key', () => {
  const { b, clock } = backend()
  const r = b.getReducingState(new ReducingStateDescriptor<number>('sum', (x, y) => x + y).enableTimeToLive({ ttlMs: 50 }))
  const a = b.getAggregatingState(new AggregatingStateDescriptor<number, number, number>('cnt', {
    createAccumulator: () => 0, add: (_v, n) => n + 1, getResult: n => n
  }).enableTimeToLive({ ttlMs: 50 }))
  b.currentKey = 'k'
  r.add(1); a.add(1)
  clock.now = 40
  r.add(2); a.add(2)
  clock.now = 89
  assert.is(r.get(), 3)
  assert.is(a.get(), 2)
  clock.now = 90
  assert.is(r.get(), undefined)
  assert.is(a.get(), undefined)
})

Backend('TTL of list state: each element expires on its own clock', () => {
  const { b, clock } = backend()
  const s = b.getListState(new ListStateDescriptor<string>('l').enableTimeToLive({ ttlMs: 100 }))
  b.currentKey = 'a'
  s.add('t0')
  clock.now = 30
  s.addAll(['t30a', 't30b'])
  clock.now = 60
  s.add('t60')
  clock.now = 99
  assert.equal(s.get(), ['t0', 't30a', 't30b', 't60'])
  clock.now = 100
  assert.equal(s.get(), ['t30a', 't30b', 't60'])
  clock.now = 130
  assert.equal(s.get(), ['t60'])
  s.update(['u1', 'u2'])
  clock.now = 229
  assert.equal(s.get(), ['u1', 'u2'])
  clock.now = 230
  assert.equal(s.get(), [])
  assert.is(b.tables.get('l')!.data.size, 0, 'an emptied list leaves no entry behind')
})

Backend('TTL of map state: each entry expires on its own clock', () => {
  const { b, clock } = backend()
  const s = b.getMapState(new MapStateDescriptor<string, number>('m').enableTimeToLive({ ttlMs: 100 }))
  b.currentKey = 'a'
  s.put('x', 1)
  clock.now = 60
  s.put('y', 2)
  clock.now = 100
  assert.is(s.get('x'), undefined, 'x was written at 0')
  assert.is(s.get('y'), 2)
  assert.not.ok(s.contains('x'))
  assert.equal([...s.entries()], [['y', 2]])
  s.put('x', 3)
  clock.now = 160
  assert.equal([...s.keys()], ['x'])
  assert.equal([...s.values()], [3])
  assert.not.ok(s.isEmpty())
  clock.now = 200
  assert.ok(s.isEmpty())
  assert.is(b.tables.get('m')!.data.size, 0)
})

Backend('TTL of map state with OnReadAndWrite: reading an entry keeps it alive', () => {
  const { b, clock } = backend()
  const s = b.getMapState(new MapStateDescriptor<string, number>('m').enableTimeToLive({ ttlMs: 100, updateType: 'OnReadAndWrite' }))
  b.currentKey = 'a'
  s.put('x', 1)
  s.put('y', 2)
  clock.now = 90
  assert.is(s.get('x'), 1)
  clock.now = 150
  assert.equal([...s.entries()], [['x', 1]], 'y expired at 100; x was read at 90')
  clock.now = 249
  assert.is(s.get('x'), 1)
})

Backend('expired entries of keys never read again are purged as writes go on', () => {
  const { b, clock } = backend()
  const v = b.getState(new ValueStateDescriptor<number>('v').enableTimeToLive({ ttlMs: 10 }))
  const l = b.getListState(new ListStateDescriptor<number>('l').enableTimeToLive({ ttlMs: 10 }))
  for (let i = 0; i < 1_000; i++) {
    b.currentKey = i
    v.update(i)
    l.add(i)
  }
  clock.now = 1_000
  b.currentKey = 'other'
  for (let i = 0; i < 70_000; i++) v.update(i)
  assert.is(b.tables.get('v')!.data.size, 1)
  assert.is(b.tables.get('l')!.data.size, 0)
})

Backend('records the keys whose entries changed, in place or by expiry, per state namespace', () => {
  const clock = { now: 0 }
  const changes = new Map<string, Set<Key>>()
  const b = new HeapKeyedStateBackend(() => clock.now, {
    changes: ns => { let s = changes.get(ns); if (s === undefined) changes.set(ns, s = new Set()); return s }
  })
  const changed = (): Record<string, Key[]> => {
    const out: Record<string, Key[]> = {}
    for (const [ns, set] of changes) if (set.size > 0) out[ns] = [...set]
    for (const set of changes.values()) set.clear()
    return out
  }
  const v = b.getState(new ValueStateDescriptor<number>('v'))
  const l = b.getListState(new ListStateDescriptor<number>('l'))
  const m = b.getMapState(new MapStateDescriptor<string, number>('m'))
  const tv = b.getState(new ValueStateDescriptor<number>('tv').enableTimeToLive({ ttlMs: 10, updateType: 'OnReadAndWrite' }))
  const tm = b.getMapState(new MapStateDescriptor<string, number>('tm').enableTimeToLive({ ttlMs: 10 }))
  b.currentKey = 'a'
  v.update(1)
  l.add(1)
  m.put('x', 1)
  m.put('y', 2)
  tv.update(1)
  tm.put('x', 1)
  tm.put('y', 2)
  assert.equal(changed(), { 's:v': ['a'], 's:l': ['a'], 's:m': ['a'], 's:tv': ['a'], 's:tm': ['a'] })
  b.currentKey = 'b'
  v.value()
  l.get()
  m.get('x')
  assert.equal(changed(), {}, 'reads change nothing')
  b.currentKey = 'a'
  m.remove('x')
  tm.remove('y')
  assert.equal(changed(), { 's:m': ['a'], 's:tm': ['a'] }, 'a map entry removed in place')
  clock.now = 5
  tv.value()
  assert.equal(changed(), { 's:tv': ['a'] }, 'a read restarts a TTL clock')
  clock.now = 30
  assert.is(tv.value(), undefined)
  assert.is(tm.get('x'), undefined)
  assert.equal(changed(), { 's:tv': ['a'], 's:tm': ['a'] }, 'expired entries dropped')
  assert.equal(b.entry('s:tv', 'a'), undefined)
  assert.equal(b.entry('s:v', 'a'), 1)
})

Backend('restores tables from their entries and description, and a function declaring another TTL converts them', () => {
  const { b } = backend()
  const v = b.getState(new ValueStateDescriptor<number>('v').enableTimeToLive({ ttlMs: 100 }))
  const l = b.getListState(new ListStateDescriptor<number>('l'))
  b.currentKey = 'a'
  v.update(1)
  l.addAll([1, 2])
  const entries = new Map<string, Map<Key, unknown>>()
  b.forEachEntry((ns, key, entry) => { let m = entries.get(ns); if (m === undefined) entries.set(ns, m = new Map()); m.set(key, entry) })
  assert.equal(entries.get('s:v'), new Map([['a', [1, 0]]]), 'a value with its TTL stamp')
  const meta = new Map<string, unknown>()
  const pairs = b.meta()
  for (let i = 0; i < pairs.length; i += 2) meta.set(pairs[i] as string, pairs[i + 1])
  const { b: r, clock } = backend()
  r.restore(entries, meta)
  const rv = r.getState(new ValueStateDescriptor<number>('v').enableTimeToLive({ ttlMs: 100 }))
  const rl = r.getListState(new ListStateDescriptor<number>('l').enableTimeToLive({ ttlMs: 50 }))
  r.currentKey = 'a'
  assert.is(rv.value(), 1)
  assert.equal(rl.get(), [1, 2])
  clock.now = 50
  assert.equal(rl.get(), [], 'list elements stamped at restore expire a TTL later')
  clock.now = 100
  assert.is(rv.value(), undefined, 'the value keeps its stamp')
})

Backend.run()
