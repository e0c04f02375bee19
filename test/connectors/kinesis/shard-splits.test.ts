/**
 * How kinesisSource follows resharding, without Kinesis: a shard graph with splits and
 * merges (the shapes ListShards returns), followed from the root splits the way readers do.
 * At every point the splits' filters partition the hash key space, so each record is
 * emitted by exactly one split, and a key's splits form one chain (parent before child).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Shard } from '@aws-sdk/client-kinesis'
import { childSplits, hashKeyOf, rootSplits, splitFilter, isWhole, type KinesisSplit } from '../../../connectors/kinesis/shard-splits.ts'

const test = suite('kinesis shard splits')
const MAX = 2n ** 128n - 1n

const shard = (id: number, lo: bigint, hi: bigint, parent?: number, adjacent?: number): Shard => ({
  ShardId: `shardId-${String(id).padStart(12, '0')}`,
  HashKeyRange: { StartingHashKey: lo.toString(), EndingHashKey: hi.toString() },
  SequenceNumberRange: { StartingSequenceNumber: '0' },
  ...(parent === undefined ? {} : { ParentShardId: `shardId-${String(parent).padStart(12, '0')}` }),
  ...(adjacent === undefined ? {} : { AdjacentParentShardId: `shardId-${String(adjacent).padStart(12, '0')}` })
})

// two roots; 0 split into 2 and 3; 3 merged with 1 into 4; 4 split into 5 and 6; 2 merged with 5 into 7
const half = MAX / 2n
const quarter = half / 2n
const threeQ = half + quarter
const shards: Shard[] = [
  shard(0, 0n, half), shard(1, half + 1n, MAX),
  shard(2, 0n, quarter, 0), shard(3, quarter + 1n, half, 0),
  shard(4, quarter + 1n, MAX, 3, 1),
  shard(5, quarter + 1n, threeQ, 4), shard(6, threeQ + 1n, MAX, 4),
  shard(7, 0n, threeQ, 2, 5)
]

const byLo = (a: KinesisSplit, b: KinesisSplit): number => BigInt(a.lo) < BigInt(b.lo) ? -1 : 1

/** Every split reachable from the roots, reading every shard to its end. */
function allSplits (): KinesisSplit[] {
  const out: KinesisSplit[] = []
  const queue = rootSplits('s', shards, undefined)
  while (queue.length > 0) {
    const s = queue.shift()!
    out.push(s)
    queue.push(...childSplits(s, shards))
  }
  return out
}

test('root splits are the shards without listed parents, whole', () => {
  const roots = rootSplits('s', shards, 123)
  assert.equal(roots.map(r => r.id), ['shardId-000000000000', 'shardId-000000000001'])
  assert.ok(roots.every(isWhole))
  assert.ok(roots.every(r => r.startTimestamp === 123), 'a timestamp start carries into the splits (and their children)')
  assert.is(childSplits(roots[0]!, shards)[0]!.startTimestamp, 123)
})

test('a merge of shards read by two readers gives each reader the child for its own half', () => {
  const all = allSplits()
  const ofFour = all.filter(s => s.shardId === 'shardId-000000000004').sort(byLo)
  assert.equal(ofFour.map(s => [s.lo, s.hi]), [[(quarter + 1n).toString(), half.toString()], [(half + 1n).toString(), MAX.toString()]])
  assert.ok(ofFour.every(s => !isWhole(s)))
  assert.is(new Set(all.map(s => s.id)).size, all.length, 'split ids are unique')
})

test('every key is emitted by exactly one split of each shard holding it, along one chain', () => {
  const all = allSplits()
  for (let i = 0; i < 2_000; i++) {
    const key = `key-${i}`
    const h = hashKeyOf(key)
    const holders = all.filter(s => {
      const inShard = h >= BigInt(s.shardLo) && h <= BigInt(s.shardHi)
      return inShard && (isWhole(s) || splitFilter(s)(key))
    })
    const shardsWithKey = shards.filter(s => h >= BigInt(s.HashKeyRange!.StartingHashKey!) && h <= BigInt(s.HashKeyRange!.EndingHashKey!))
    assert.is(holders.length, shardsWithKey.length, `${key}: one split per shard holding it`)
    // the chain: each holder after the first is a child of the previous one's shard
    for (let j = 1; j < holders.length; j++) {
      const child = shards.find(s => s.ShardId === holders[j]!.shardId)!
      assert.ok([child.ParentShardId, child.AdjacentParentShardId].includes(holders[j - 1]!.shardId), `${key}: ${holders[j]!.id} follows ${holders[j - 1]!.id}`)
    }
  }
})

test('a record whose hash key lies outside its shard (an ExplicitHashKey) goes to the split holding the lowest hash key', () => {
  const ofFour = allSplits().filter(s => s.shardId === 'shardId-000000000004').sort(byLo)
  let stray = 0
  for (let i = 0; stray < 20; i++) {
    const key = `stray-${i}`
    if (hashKeyOf(key) > quarter) continue
    stray++
    assert.equal(ofFour.map(s => splitFilter(s)(key)), [true, false])
  }
})

test.run()
