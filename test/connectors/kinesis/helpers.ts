/**
 * Kinesis test helpers against the real kinesalite (test/services/kinesis.sh): fresh
 * streams, writing and resharding them, an exactly-once in-memory sink to check what a job
 * emitted, and a fault proxy that puts real Kinesis error answers (throttling, partial
 * PutRecords failures) in front of kinesalite, which never throttles by itself.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand,
  MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type Shard
} from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { Sink } from 'meshflow'
import { requireService } from '../../services/services.ts'

export const REGION = 'us-east-1'

/** The kinesalite endpoint, failing (never skipping) with the line naming the script when it is down. */
export async function kinesisEndpoint (): Promise<string> {
  return await requireService('kinesis')
}

export function adminClient (endpoint: string): KinesisClient {
  return new KinesisClient({
    region: REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(), maxAttempts: 5
  })
}

/** A fresh stream of `shards` shards, ACTIVE. */
export async function createStream (client: KinesisClient, shards: number, prefix = 'meshflow-test'): Promise<string> {
  const name = `${prefix}-${randomBytes(5).toString('hex')}`
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
  await waitActive(client, name)
  return name
}

export async function waitActive (client: KinesisClient, stream: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return
    if (Date.now() > deadline) throw new Error(`Stream ${stream} is not ACTIVE after 60 s`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export async function deleteStream (client: KinesisClient, stream: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {})
}

export async function shardsOf (client: KinesisClient, stream: string): Promise<Shard[]> {
  return (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
}

export const openShards = (shards: Shard[]): Shard[] => shards.filter(s => s.SequenceNumberRange?.EndingSequenceNumber === undefined)

/** Splits `shard` at the middle of its hash range, and waits until the stream is ACTIVE. */
export async function splitShard (client: KinesisClient, stream: string, shard: Shard): Promise<void> {
  const lo = BigInt(shard.HashKeyRange!.StartingHashKey!)
  const hi = BigInt(shard.HashKeyRange!.EndingHashKey!)
  await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shard.ShardId, NewStartingHashKey: ((lo + hi) / 2n).toString() }))
  await waitActive(client, stream)
}

/** Merges two adjacent open shards, and waits until the stream is ACTIVE. */
export async function mergeShards (client: KinesisClient, stream: string, a: Shard, b: Shard): Promise<void> {
  await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: a.ShardId, AdjacentShardToMerge: b.ShardId }))
  await waitActive(client, stream)
}

/** Two adjacent open shards (hash ranges touching), the lower first. */
export function adjacentPair (shards: Shard[]): [Shard, Shard] {
  const open = openShards(shards).sort((x, y) => BigInt(x.HashKeyRange!.StartingHashKey!) < BigInt(y.HashKeyRange!.StartingHashKey!) ? -1 : 1)
  for (let i = 0; i + 1 < open.length; i++) {
    if (BigInt(open[i]!.HashKeyRange!.EndingHashKey!) + 1n === BigInt(open[i + 1]!.HashKeyRange!.StartingHashKey!)) return [open[i]!, open[i + 1]!]
  }
  throw new Error('No two adjacent open shards')
}

/** Puts `records` (JSON) with their partition keys, 500 a call, every one confirmed. */
export async function putJson (client: KinesisClient, stream: string, records: ReadonlyArray<{ key: string, value: unknown }>): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500)
    const answer = await client.send(new PutRecordsCommand({
      StreamName: stream,
      Records: chunk.map(r => ({ PartitionKey: r.key, Data: Buffer.from(typeof r.value === 'string' ? r.value : JSON.stringify(r.value)) }))
    }))
    if ((answer.FailedRecordCount ?? 0) > 0) throw new Error(`${answer.FailedRecordCount} records failed`)
  }
}

/** A keyed event: `seq` counts up per key in the order the test wrote them. */
export interface KeyedEvent { readonly key: string, readonly seq: number }

/**
 * An exactly-once sink into memory (two-phase commit): what a checkpoint pre-committed is
 * appended to `out` when the checkpoint completes, once (committables carry an id).
 */
export function memorySink<T> (out: T[]): Sink<T> {
  const committed = new Set<string>()
  return {
    createWriter: () => {
      let buffer: T[] = []
      return {
        write: values => { buffer.push(...values) },
        finish: () => { out.push(...buffer); buffer = [] },
        close: () => { buffer = [] },
        prepareCommit: () => {
          const c = { id: randomUUID(), values: buffer }
          buffer = []
          return [c]
        },
        commit: committables => {
          for (const c of committables as Array<{ id: string, values: T[] }>) {
            if (committed.has(c.id)) continue
            committed.add(c.id)
            out.push(...c.values)
          }
        }
      }
    }
  }
}

/** Waits until `check()` is true, polling; throws `what` after `ms`. */
export async function until (check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${what()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Checks that every key's events are seq 0..n-1, each once, in order; returns the problems. */
export function perKeyProblems (events: readonly KeyedEvent[], keys: number, perKey: number): string[] {
  const problems: string[] = []
  const byKey = new Map<string, number[]>()
  for (const e of events) {
    let l = byKey.get(e.key)
    if (l === undefined) byKey.set(e.key, l = [])
    l.push(e.seq)
  }
  for (let k = 0; k < keys; k++) {
    const seqs = byKey.get(`key-${k}`) ?? []
    const want = Array.from({ length: perKey }, (_, i) => i)
    if (seqs.length !== perKey || seqs.some((s, i) => s !== want[i])) {
      problems.push(`key-${k}: ${seqs.length} events, first out of order at ${seqs.findIndex((s, i) => s !== i)}: ${seqs.slice(0, 40).join(',')}`)
    }
  }
  return problems
}

/** What the fault proxy does to a call: `forward` it as is, or answer it itself. */
export interface FaultProxy {
  readonly endpoint: string
  /** GetRecords calls answered with ProvisionedThroughputExceededException. */
  throttledGets: number
  /** Records PutRecords answers failed (not forwarded). */
  failedPuts: number
  /** PutRecords calls seen, and the most records and bytes (data plus partition keys) one carried. */
  readonly puts: { calls: number, maxRecords: number, maxBytes: number }
  close(): Promise<void>
}

/**
 * An HTTP proxy in front of kinesalite that answers every `throttleEvery`-th GetRecords
 * with a real ProvisionedThroughputExceededException (400, as Kinesis does), and fails
 * every `failEvery`-th record of a PutRecords call the first time it sees it (kept out of
 * the forwarded call, reported with ErrorCode in the answer, as Kinesis does for a record
 * over its shard's limit).
 */
export async function faultProxy (target: string, options: { throttleEvery?: number, failEvery?: number }): Promise<FaultProxy> {
  const to = new URL(target)
  let gets = 0
  const seenPuts = new Set<string>()
  const state = { throttledGets: 0, failedPuts: 0 }
  const puts = { calls: 0, maxRecords: 0, maxBytes: 0 }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1]
      let body = Buffer.concat(chunks)
      if (op === 'GetRecords' && options.throttleEvery !== undefined && ++gets % options.throttleEvery === 0) {
        state.throttledGets++
        const answer = JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard' })
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(answer), 'x-amzn-requestid': randomUUID() })
        res.end(answer)
        return
      }
      let failedAt: number[] = []
      if (op === 'PutRecords') {
        const request = JSON.parse(body.toString('utf8')) as { Records: Array<{ Data: string, PartitionKey: string }> }
        puts.calls++
        puts.maxRecords = Math.max(puts.maxRecords, request.Records.length)
        puts.maxBytes = Math.max(puts.maxBytes, request.Records.reduce((n, r) => n + Buffer.from(r.Data, 'base64').byteLength + Buffer.byteLength(r.PartitionKey), 0))
      }
      if (op === 'PutRecords' && options.failEvery !== undefined) {
        const request = JSON.parse(body.toString('utf8')) as { Records: Array<{ Data: string, PartitionKey: string }> }
        const kept: typeof request.Records = []
        request.Records.forEach((r, i) => {
          const id = `${r.PartitionKey}|${r.Data}`
          if (i % options.failEvery! === 0 && !seenPuts.has(id)) { seenPuts.add(id); failedAt.push(i) } else kept.push(r)
        })
        if (kept.length === 0) { kept.push(request.Records[failedAt.pop()!]!) }
        body = Buffer.from(JSON.stringify({ ...request, Records: kept }))
      }
      const headers = { ...req.headers, host: to.host, 'content-length': String(body.byteLength) }
      const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, up => {
        const parts: Buffer[] = []
        up.on('data', (c: Buffer) => parts.push(c))
        up.on('end', () => {
          let answer = Buffer.concat(parts)
          if (failedAt.length > 0 && up.statusCode === 200) {
            const a = JSON.parse(answer.toString('utf8')) as { Records: unknown[], FailedRecordCount: number }
            for (const i of failedAt) a.Records.splice(i, 0, { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' })
            a.FailedRecordCount += failedAt.length
            state.failedPuts += failedAt.length
            answer = Buffer.from(JSON.stringify(a))
          }
          res.writeHead(up.statusCode ?? 500, { ...up.headers, 'content-length': String(answer.byteLength) })
          res.end(answer)
        })
      })
      upstream.on('error', err => { res.destroy(err) })
      upstream.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get throttledGets () { return state.throttledGets },
    get failedPuts () { return state.failedPuts },
    puts,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => { resolve() }) })
  } as FaultProxy
}
