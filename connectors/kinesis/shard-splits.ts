/**
 * Shards as splits, and how resharding is followed without a coordinator.
 *
 * Every split is one shard read with a hash key filter `[lo, hi]` (decimal strings of the
 * 128-bit hash key space). The first splits are the stream's root shards (those whose
 * parents are no longer listed), unfiltered. When a reader reaches the end of a shard
 * (GetRecords gives no next iterator), it replaces that split, in one step, by splits of
 * the shard's children, each filtered to the part of the child's range the parent's filter
 * covered. So:
 * - a child is read only after its parent was read to its end, by the same reader: records
 *   of one partition key go through one reader, parent before child, and per-key order
 *   holds downstream;
 * - after a merge whose parents were read by two readers, each reads the child for its own
 *   half of the hash range (the child is fetched twice, each record emitted once); after a
 *   split the parent's reader reads both children;
 * - the splits' filters always partition the hash key space, so every record is read by
 *   exactly one split; this needs no knowledge of other readers, survives a restore at any
 *   parallelism (splits are plain state), and no finished shard has to be remembered.
 * A record's hash key is the MD5 of its partition key (what Kinesis routes by); a record
 * put with an ExplicitHashKey outside its shard's range goes to the child split holding
 * the child's lowest hash key, so it is not lost, but its order is not kept.
 */
import { createHash } from 'node:crypto'
import type { Shard } from '@aws-sdk/client-kinesis'
import type { SourceSplit } from '../../node/api/source.ts'

/** A shard (or part of its hash range) and the position reached in it: checkpointed state. */
export interface KinesisSplit extends SourceSplit {
  readonly stream: string
  readonly shardId: string
  /** The shard's own hash key range. */
  readonly shardLo: string
  readonly shardHi: string
  /** The hash keys this split emits (the shard's whole range unless split by a merge). */
  readonly lo: string
  readonly hi: string
  /** The sequence number of the last record emitted; reading resumes after it. */
  readonly after?: string
  /** Without `after`: start at this arrival time (ms) instead of the shard's oldest record. */
  readonly startTimestamp?: number
}

/** The 128-bit hash key Kinesis routes a partition key by (MD5, big-endian). */
export function hashKeyOf (partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'))
}

/** True when the split reads the whole shard (no per-record filtering). */
export function isWhole (s: KinesisSplit): boolean {
  return s.lo === s.shardLo && s.hi === s.shardHi
}

/** A predicate for the records of a filtered split (see the module comment). */
export function splitFilter (s: KinesisSplit): (partitionKey: string) => boolean {
  const lo = BigInt(s.lo)
  const hi = BigInt(s.hi)
  const shardLo = BigInt(s.shardLo)
  const shardHi = BigInt(s.shardHi)
  const ownsStrays = lo === shardLo
  return key => {
    const h = hashKeyOf(key)
    if (h >= lo && h <= hi) return true
    return ownsStrays && (h < shardLo || h > shardHi)
  }
}

function split (stream: string, shard: Shard, lo: bigint, hi: bigint, startTimestamp: number | undefined): KinesisSplit {
  const shardLo = shard.HashKeyRange!.StartingHashKey!
  const shardHi = shard.HashKeyRange!.EndingHashKey!
  const whole = lo === BigInt(shardLo) && hi === BigInt(shardHi)
  return {
    id: whole ? shard.ShardId! : `${shard.ShardId!}@${lo}`,
    stream,
    shardId: shard.ShardId!,
    shardLo,
    shardHi,
    lo: lo.toString(),
    hi: hi.toString(),
    ...(startTimestamp === undefined ? {} : { startTimestamp })
  }
}

/** The splits of a first start: the shards whose parents are not listed, in shard id order. */
export function rootSplits (stream: string, shards: readonly Shard[], startTimestamp: number | undefined): KinesisSplit[] {
  const listed = new Set(shards.map(s => s.ShardId))
  return shards
    .filter(s => !listed.has(s.ParentShardId) && !listed.has(s.AdjacentParentShardId))
    .sort((a, b) => a.ShardId! < b.ShardId! ? -1 : 1)
    .map(s => split(stream, s, BigInt(s.HashKeyRange!.StartingHashKey!), BigInt(s.HashKeyRange!.EndingHashKey!), startTimestamp))
}

/** The children of `parent`'s shard among `shards`, as splits filtered to what `parent` covered. */
export function childSplits (parent: KinesisSplit, shards: readonly Shard[]): KinesisSplit[] {
  const lo = BigInt(parent.lo)
  const hi = BigInt(parent.hi)
  const out: KinesisSplit[] = []
  for (const c of shards) {
    if (c.ParentShardId !== parent.shardId && c.AdjacentParentShardId !== parent.shardId) continue
    const cLo = BigInt(c.HashKeyRange!.StartingHashKey!)
    const cHi = BigInt(c.HashKeyRange!.EndingHashKey!)
    const from = lo > cLo ? lo : cLo
    const to = hi < cHi ? hi : cHi
    if (from > to) continue
    out.push(split(parent.stream, c, from, to, parent.startTimestamp))
  }
  return out.sort((a, b) => a.id < b.id ? -1 : 1)
}

/** True when `shards` lists a child of `shardId`. */
export function hasChildren (shardId: string, shards: readonly Shard[]): boolean {
  return shards.some(c => c.ParentShardId === shardId || c.AdjacentParentShardId === shardId)
}
