/**
 * The stored form of blocking results (batch execution, see blocking-channel.ts): one
 * partition — what producer subtask p sent consumer subtask c over edge e — is a list of
 * blocks, each a run of stream elements in the wire element codec (protocol/element-codec.ts),
 * each element preceded by its length as a varint. A region's result is one more block,
 * the *result index*, listing every partition it wrote with its block CIDs, and the records
 * it read and wrote: the JobManager logs only that block's CID.
 *
 * Layout of a result index: the 6 bytes `MFRI1\n`, then CBOR `{ p: [[edge, producer,
 * consumer, [cid, …]], …], i: recordsIn, o: recordsOut }`.
 *
 * @example
 * const bytes = encodeResultIndex({ partitions: [{ edge: 0, producer: 1, consumer: 0, blocks: [cid] }], recordsIn: 10, recordsOut: 10 })
 * decodeResultIndex(bytes).partitions[0].blocks // [cid]
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import { writeVarint, lengthPrefixBytes } from '../../protocol/framing.ts'
import { MalformedMessageError } from '../../protocol/errors.ts'

const P = 'blocking-result'
const MAGIC = new TextEncoder().encode('MFRI1\n')
/** Most partitions one result index lists (a region writing more is refused). */
export const MAX_RESULT_PARTITIONS = 1 << 20

/** One partition of a region's result. */
export interface ResultPartition {
  readonly edge: number
  readonly producer: number
  readonly consumer: number
  /** Its blocks in order (none when the partition is empty). */
  readonly blocks: readonly string[]
}

/** What a region wrote: its partitions, and the records its subtasks read and wrote. */
export interface ResultIndex {
  readonly partitions: readonly ResultPartition[]
  readonly recordsIn: number
  readonly recordsOut: number
}

/** The key of a partition: `edge:producer:consumer`. */
export function partitionKey (edge: number, producer: number, consumer: number): string {
  return `${edge}:${producer}:${consumer}`
}

/** Whether `bytes` is a result index (the garbage collector reaches partitions through it). */
export function isResultIndex (bytes: Uint8Array): boolean {
  if (bytes.byteLength < MAGIC.byteLength) return false
  for (let i = 0; i < MAGIC.byteLength; i++) if (bytes[i] !== MAGIC[i]) return false
  return true
}

export function encodeResultIndex (index: ResultIndex): Uint8Array {
  const body = encodeCbor({ p: index.partitions.map(p => [p.edge, p.producer, p.consumer, [...p.blocks]]), i: index.recordsIn, o: index.recordsOut })
  const out = new Uint8Array(MAGIC.byteLength + body.byteLength)
  out.set(MAGIC, 0)
  out.set(body, MAGIC.byteLength)
  return out
}

function bad (what: string): never {
  throw new MalformedMessageError(P, '', what)
}

const uint = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${what} must be a non-negative integer`)
  return v
}

/**
 * Decodes and validates a result index.
 * @throws {MalformedMessageError} naming what was wrong
 */
export function decodeResultIndex (bytes: Uint8Array): ResultIndex {
  if (!isResultIndex(bytes)) bad('does not start with the result index tag')
  const o = decodeCbor(P, bytes.subarray(MAGIC.byteLength)) as Record<string, unknown> | null
  if (typeof o !== 'object' || o === null || !Array.isArray(o.p)) bad('must be an object with a partition list')
  if (o.p.length > MAX_RESULT_PARTITIONS) bad(`lists more than ${MAX_RESULT_PARTITIONS} partitions`)
  const partitions = o.p.map((entry: unknown, i: number): ResultPartition => {
    if (!Array.isArray(entry) || entry.length !== 4 || !Array.isArray(entry[3])) bad(`partition ${i} must be [edge, producer, consumer, blocks]`)
    const blocks = (entry[3] as unknown[]).map((c, j) => {
      if (typeof c !== 'string' || c.length === 0 || c.length > 128) bad(`partition ${i} block ${j} must be a CID`)
      return c
    })
    return { edge: uint(entry[0], `partition ${i} edge`), producer: uint(entry[1], `partition ${i} producer`), consumer: uint(entry[2], `partition ${i} consumer`), blocks }
  })
  return { partitions, recordsIn: uint(o.i, 'recordsIn'), recordsOut: uint(o.o, 'recordsOut') }
}

/** The blocks a result index references (for the garbage collector). */
export function resultIndexReferences (bytes: Uint8Array): string[] {
  return decodeResultIndex(bytes).partitions.flatMap(p => p.blocks)
}

/** Joins length-prefixed elements into one block's bytes. */
export function framePartitionBlock (elements: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const e of elements) size += lengthPrefixBytes(e.byteLength) + e.byteLength
  const out = new Uint8Array(size)
  let at = 0
  for (const e of elements) {
    at = writeVarint(e.byteLength, out, at)
    out.set(e, at)
    at += e.byteLength
  }
  return out
}

/** Bytes a framed element takes in a block. */
export function framedSize (element: Uint8Array): number {
  return lengthPrefixBytes(element.byteLength) + element.byteLength
}

/**
 * Splits a partition block into its elements' bytes (views into `bytes`).
 * @throws {MalformedMessageError} when a length runs past the block
 */
export function unframePartitionBlock (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  while (at < bytes.byteLength) {
    let n = 0
    let scale = 1
    for (let k = 0; ; k++) {
      if (at >= bytes.byteLength || k > 7) bad(`element ${out.length} has a truncated length`)
      const b = bytes[at++]!
      n += (b & 0x7f) * scale
      if ((b & 0x80) === 0) break
      scale *= 0x80
    }
    if (n === 0 || at + n > bytes.byteLength) bad(`element ${out.length} of ${n} bytes runs past the block`)
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  return out
}
