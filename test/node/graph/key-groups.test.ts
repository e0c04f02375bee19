/**
 * Key groups (DESIGN §4): a stable murmur3 hash of the key's canonical form picks one of
 * `maxParallelism` groups, and group g belongs to subtask floor(g * p / maxP), the same
 * ranges as Flink's KeyGroupRangeAssignment.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { keyGroupOf, subtaskForKeyGroup, DEFAULT_MAX_PARALLELISM } from 'meshflow'
import { hashKey, keyGroupRange, murmurNumber, murmurString, normalizeKey } from '../../../node/graph/key-groups.ts'

const KeyGroups = suite('key groups')

/** Plain, byte-at-a-time murmur3_x86_32: the reference the engine's hash must match. */
function murmur3 (bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed >>> 0
  const blocks = bytes.length >> 2
  for (let i = 0; i < blocks; i++) {
    let k = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)
    k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2)
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  let k = 0
  const tail = blocks * 4
  switch (bytes.length & 3) {
    case 3: k ^= bytes[tail + 2]! << 16 // falls through
    case 2: k ^= bytes[tail + 1]! << 8 // falls through
    case 1:
      k ^= bytes[tail]!
      k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2)
      h ^= k
  }
  h ^= bytes.length
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16
  return h >>> 0
}

const utf16le = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf16le'))
function int32le (x: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, x, true)
  return b
}
function float64le (x: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setFloat64(0, x, true)
  return b
}

KeyGroups('the reference murmur3 matches published test vectors', () => {
  assert.is(murmur3(new Uint8Array(0)), 0)
  assert.is(murmur3(new Uint8Array(0), 1), 0x514e28b7)
  assert.is(murmur3(new TextEncoder().encode('hello')), 0x248bfa47)
  assert.is(murmur3(new TextEncoder().encode('The quick brown fox jumps over the lazy dog')), 0x2e4ff723)
})

KeyGroups('strings hash as murmur3 of their UTF-16LE code units', () => {
  for (const s of ['', 'a', 'ab', 'abc', 'store-7', 'żółw', '🦊 emoji', 'x'.repeat(1001)]) {
    assert.is(murmurString(s), murmur3(utf16le(s)), JSON.stringify(s))
  }
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => murmurString(s) === murmur3(utf16le(s))))
})

KeyGroups('int32 numbers hash their 4 bytes, other numbers their float64 bytes', () => {
  fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), x => murmurNumber(x) === murmur3(int32le(x))))
  fc.assert(fc.property(fc.double({ noNaN: true }).filter(x => (x | 0) !== x), x => murmurNumber(x) === murmur3(float64le(x))))
  assert.is(murmurNumber(2 ** 31), murmur3(float64le(2 ** 31)))
})

KeyGroups('hashKey: booleans as 0/1, bigints and other values by their text', () => {
  assert.is(hashKey(true), murmurNumber(1))
  assert.is(hashKey(false), murmurNumber(0))
  assert.is(hashKey(12345678901234567890n), murmurString('12345678901234567890'))
  assert.is(hashKey(['a', 1]), murmurString('["a",1]'))
  assert.is(hashKey({ a: 1 }), murmurString('{"a":1}'))
})

KeyGroups('normalizeKey keeps primitives and turns composite keys into their JSON', () => {
  assert.is(normalizeKey('k'), 'k')
  assert.is(normalizeKey(3), 3)
  assert.is(normalizeKey(true), true)
  assert.is(normalizeKey(5n), 5n)
  assert.is(normalizeKey(['a', 1]), '["a",1]')
  assert.is(normalizeKey({ x: [1, 2] }), '{"x":[1,2]}')
  assert.throws(() => normalizeKey(undefined), /A key selector returned undefined: keys must be defined/)
  assert.throws(() => normalizeKey(null), /returned null/)
})

KeyGroups('a key and its normalized form land in the same key group', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.array(fc.oneof(fc.string(), fc.integer()))),
    fc.integer({ min: 1, max: 1 << 15 }),
    (key, maxP) => {
      const g = keyGroupOf(key, maxP)
      return Number.isInteger(g) && g >= 0 && g < maxP && keyGroupOf(normalizeKey(key), maxP) === g
    }))
})

KeyGroups('key groups are stable: fixed values that a change of hash would break', () => {
  // pinned so that savepoints stay restorable across versions
  assert.equal(['store-1', 'store-2', 'user-42', ''].map(k => keyGroupOf(k, 128)), [66, 121, 105, 0])
  assert.equal([0, 1, -1, 7].map(k => keyGroupOf(k, DEFAULT_MAX_PARALLELISM)), [94, 42, 80, 113])
  assert.equal([0.5, 'x', ['a', 1]].map(k => keyGroupOf(k, 1 << 15)), [22432, 16332, 20308])
})

KeyGroups('subtaskForKeyGroup and keyGroupRange agree and cut [0, maxP) into contiguous ranges', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 4096 }).chain(maxP => fc.tuple(fc.constant(maxP), fc.integer({ min: 1, max: maxP }))), ([maxP, p]) => {
    let next = 0
    for (let s = 0; s < p; s++) {
      const { start, end } = keyGroupRange(s, p, maxP)
      assert.is(start, next)
      assert.ok(end >= start, `subtask ${s} of ${p} owns at least one of ${maxP} groups`)
      for (const g of [start, end]) assert.is(subtaskForKeyGroup(g, p, maxP), s)
      next = end + 1
    }
    assert.is(next, maxP)
  }), { numRuns: 300 })
  assert.equal([0, 31, 32, 63, 64, 127].map(g => subtaskForKeyGroup(g, 4, 128)), [0, 0, 1, 1, 2, 3])
  assert.equal([0, 1, 2].map(s => keyGroupRange(s, 3, 128)), [{ start: 0, end: 42 }, { start: 43, end: 85 }, { start: 86, end: 127 }])
})

KeyGroups('keys spread evenly over the key groups', () => {
  const counts = new Array<number>(128).fill(0)
  for (let i = 0; i < 128_000; i++) counts[keyGroupOf(`key-${i}`, 128)]!++
  assert.ok(Math.min(...counts) > 800 && Math.max(...counts) < 1200, `min ${Math.min(...counts)} max ${Math.max(...counts)}`)
  const ints = new Array<number>(128).fill(0)
  for (let i = 0; i < 128_000; i++) ints[keyGroupOf(i, 128)]!++
  assert.ok(Math.min(...ints) > 800 && Math.max(...ints) < 1200, `min ${Math.min(...ints)} max ${Math.max(...ints)}`)
})

KeyGroups.run()
