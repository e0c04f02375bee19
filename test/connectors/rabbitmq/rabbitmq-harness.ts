/**
 * The RabbitMQ connector's harnesses for the contract suite (test/connectors/contract.ts):
 * a fresh durable queue per fixture on the broker of test/services/rabbitmq.sh, records
 * published as JSON with their id as `messageId`. The source runs twice: at-least-once
 * (competing consumers at any parallelism) and exactly-once (`exactlyOnce`, one subtask).
 * The sink publishes to the default exchange, routed to the fixture's queue.
 */
import { randomBytes } from 'node:crypto'
import type { OutputTag, Sink, Source } from 'meshflow'
import { rabbitmqSink, rabbitmqSource, type DeadLetter } from 'meshflow/connectors/rabbitmq'
import type { ContractRecord, SinkFixture, SinkHarness, SourceFixture, SourceHarness } from '../contract.ts'
import { brokerUrl, createQueue, deleteQueue, publishRaw, withConnection } from './helpers.ts'

/** What a delivery's place looks like in a dead letter or an error. */
const LOCATION = /queue meshflow-test-\S+ delivery tag \d+/

function sourceHarness (exactlyOnce: boolean): SourceHarness {
  return {
    name: exactlyOnce ? 'rabbitmq (exactlyOnce)' : 'rabbitmq',
    service: 'rabbitmq' as const,
    guarantee: exactlyOnce ? 'exactly-once' as const : 'at-least-once' as const,
    ...(exactlyOnce ? { maxParallelism: 1 } : {}),
    async create (_options: { splits: number }): Promise<SourceFixture> {
      // a queue is one stream of messages whatever the number of splits asked for
      const url = await brokerUrl()
      const queue = await createQueue(url, exactlyOnce ? 'contract-eo' : 'contract')
      return {
        async write (records: readonly ContractRecord[]): Promise<void> {
          await publishRaw(url, queue, records.map(r => ({ body: Buffer.from(JSON.stringify(r)), messageId: String(r.id) })))
        },
        async writeMalformed (): Promise<void> {
          await publishRaw(url, queue, [{ body: Buffer.from('{"id": 1, broken'), messageId: `malformed-${randomBytes(4).toString('hex')}` }])
        },
        source (options: { deadLetter?: OutputTag<unknown> }): Source<ContractRecord, any> {
          return rabbitmqSource<ContractRecord>({
            url,
            queue,
            prefetch: 5_000,
            exactlyOnce,
            ...(options.deadLetter === undefined ? {} : { deadLetter: options.deadLetter as OutputTag<DeadLetter> })
          })
        },
        badRecordLocation: LOCATION,
        describeDeadLetter (deadLetter: unknown): string {
          return (deadLetter as DeadLetter).error
        },
        async delete (): Promise<void> {
          await deleteQueue(url, queue)
        }
      }
    }
  }
}

/** The source, at-least-once: several subtasks consume the queue as competing consumers. */
export const rabbitmqSourceHarness = sourceHarness(false)

/** The source with `exactlyOnce`: one subtask, redeliveries dropped by message id. */
export const rabbitmqExactlyOnceSourceHarness = sourceHarness(true)

/** The sink: publisher confirms, at-least-once. */
export const rabbitmqSinkHarness: SinkHarness = {
  name: 'rabbitmq',
  service: 'rabbitmq' as const,
  guarantee: 'at-least-once' as const,
  async create (): Promise<SinkFixture> {
    const url = await brokerUrl()
    const queue = await createQueue(url, 'contract-sink')
    /** What was consumed so far: a queue hands each message out once, so reads accumulate. */
    const seen: ContractRecord[] = []
    return {
      sink (): Sink<ContractRecord> {
        return rabbitmqSink<ContractRecord>({ url, exchange: '', routingKey: queue, properties: r => ({ messageId: String(r.id) }) })
      },
      async readAll (atLeast: number, timeoutMs: number): Promise<ContractRecord[]> {
        await withConnection(url, async c => {
          const ch = await c.createChannel()
          await ch.prefetch(1_000)
          const deadline = Date.now() + timeoutMs
          // everything published is in the queue once the job ended (the sink waited for the confirms)
          for (;;) {
            const m = await ch.get(queue, { noAck: true })
            if (m !== false) { seen.push(JSON.parse(m.content.toString('utf8')) as ContractRecord); continue }
            if (seen.length >= atLeast || Date.now() > deadline) break
            await new Promise(resolve => setTimeout(resolve, 50))
          }
        })
        return [...seen]
      },
      async delete (): Promise<void> {
        await deleteQueue(url, queue)
      }
    }
  }
}
