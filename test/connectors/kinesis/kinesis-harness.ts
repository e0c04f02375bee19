/**
 * The Kinesis connector in the contract suite (test/connectors/contract.ts): a fresh
 * kinesalite stream per fixture with one shard per split, JSON records keyed by the
 * record's key, and the connector's own source reading back what the sink wrote.
 */
import { OutputTag, type Sink, type Source } from 'meshflow'
import { kinesisSink, kinesisSource, type KinesisDeadLetter } from 'meshflow/connectors/kinesis'
import { readerOf } from '../source-readers.ts'
import type { ContractRecord, SinkHarness, SourceHarness } from '../contract.ts'
import { REGION, adminClient, createStream, deleteStream, kinesisEndpoint, putJson } from './helpers.ts'

const common = (endpoint: string, stream: string) => ({ stream, region: REGION, endpoint, requestTimeoutMs: 3_000, pollIntervalMs: 50 })

/** kinesisSource: positions are checkpointed with the job's state, so exactly-once into it. */
export const kinesisSourceHarness: SourceHarness = {
  name: 'kinesis',
  service: 'kinesis',
  guarantee: 'exactly-once',
  async create (options: { splits: number }) {
    const endpoint = await kinesisEndpoint()
    const admin = adminClient(endpoint)
    const stream = await createStream(admin, options.splits, 'meshflow-contract')
    return {
      write: (records: readonly ContractRecord[]) => putJson(admin, stream, records.map(r => ({ key: r.key, value: r }))),
      writeMalformed: () => putJson(admin, stream, [{ key: 'bad', value: '{"id": not json' }]),
      source: (o: { deadLetter?: OutputTag<unknown> }): Source<ContractRecord, any> => kinesisSource<ContractRecord>({
        ...common(endpoint, stream),
        ...(o.deadLetter === undefined ? {} : { deadLetter: o.deadLetter as OutputTag<KinesisDeadLetter> })
      }),
      badRecordLocation: /stream meshflow-contract-\S+ shard shardId-\d+ sequence \d+/,
      describeDeadLetter: (d: unknown) => (d as KinesisDeadLetter).error,
      delete: async () => { await deleteStream(admin, stream); admin.destroy() }
    }
  }
}

/** kinesisSink: at-least-once (Kinesis has no transactions). */
export const kinesisSinkHarness: SinkHarness = {
  name: 'kinesis',
  service: 'kinesis',
  guarantee: 'at-least-once',
  async create () {
    const endpoint = await kinesisEndpoint()
    const admin = adminClient(endpoint)
    const stream = await createStream(admin, 2, 'meshflow-contract')
    return {
      sink: (): Sink<ContractRecord> => kinesisSink<ContractRecord>({ ...common(endpoint, stream), partitionKey: r => r.key }),
      async readAll (atLeast: number, timeoutMs: number): Promise<ContractRecord[]> {
        const source = kinesisSource<ContractRecord>(common(endpoint, stream))
        const reader = readerOf(source)
        reader.addSplits(await source.createSplits(1))
        const ids = new Set<number>()
        const out: ContractRecord[] = []
        const deadline = Date.now() + timeoutMs
        try {
          while (ids.size < atLeast && Date.now() < deadline) {
            const pending = reader.pollNext(1_000)
            let timer: ReturnType<typeof setTimeout> | undefined
            const batch = pending instanceof Promise
              ? await Promise.race([pending, new Promise<[]>(resolve => { timer = setTimeout(() => { resolve([]) }, Math.max(0, deadline - Date.now())) })])
              : pending
            clearTimeout(timer)
            for (const r of batch ?? []) { out.push(r); ids.add(r.id) }
          }
        } finally {
          await reader.close()
        }
        return out
      },
      delete: async () => { await deleteStream(admin, stream); admin.destroy() }
    }
  }
}
