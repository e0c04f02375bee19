/**
 * The RabbitMQ connector against bare amqplib loops in the same run, on the broker of
 * test/services/rabbitmq.sh: publishing (rabbitmqSink at p=1 with checkpoints every second,
 * against a confirm channel publishing in windows of 1 000), and consuming (rabbitmqSource
 * at p=1, at-least-once and exactlyOnce, against a consumer acking every 1 000). Records
 * are ~100-byte JSON. One JSON line per result; `ratio` is connector ÷ bare loop.
 *
 *   node test/bench/rabbitmq.ts [--records N]
 */
import { StreamEnvironment, WatermarkStrategy, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { rabbitmqSink, rabbitmqSource } from 'meshflow/connectors/rabbitmq'
import { brokerUrl, createQueue, deleteQueue, readyCount, withConnection } from '../connectors/rabbitmq/helpers.ts'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const N = arg('records', 200_000)
const record = (i: number): { id: number, key: string, payload: string } => ({ id: i, key: `k${i % 13}`, payload: `p${i}`.padEnd(72, '.') })

function line (name: string, seconds: number, baseline?: number): number {
  const rate = N / seconds
  console.log(JSON.stringify({ bench: 'rabbitmq', case: name, records: N, seconds: Number(seconds.toFixed(3)), recordsPerSec: Math.round(rate), ...(baseline === undefined ? {} : { ratio: Number((rate / baseline).toFixed(2)) }) }))
  return rate
}

async function barePublish (url: string, queue: string): Promise<number> {
  const started = performance.now()
  await withConnection(url, async c => {
    const ch = await c.createConfirmChannel()
    for (let i = 0; i < N; i += 1_000) {
      for (let j = i; j < Math.min(N, i + 1_000); j++) ch.sendToQueue(queue, Buffer.from(JSON.stringify(record(j))), { persistent: true, messageId: String(j) })
      await ch.waitForConfirms()
    }
  })
  return (performance.now() - started) / 1_000
}

async function bareConsume (url: string, queue: string): Promise<number> {
  const started = performance.now()
  await withConnection(url, async c => {
    const ch = await c.createChannel()
    await ch.prefetch(2_000)
    let n = 0
    await new Promise<void>(resolve => {
      void ch.consume(queue, m => {
        if (m === null) return
        JSON.parse(m.content.toString('utf8'))
        if (++n % 1_000 === 0 || n === N) ch.ack(m, true)
        if (n === N) resolve()
      })
    })
  })
  return (performance.now() - started) / 1_000
}

async function connectorPublish (url: string, queue: string): Promise<number> {
  const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 1_000 })
  env.fromSource(datagen({ count: N, generate: record }), WatermarkStrategy.noWatermarks(), 'gen')
    .sinkTo(rabbitmqSink({ url, exchange: '', routingKey: queue, properties: r => ({ messageId: String(r.id) }) }))
  const started = performance.now()
  await env.execute('bench-rabbitmq-sink')
  return (performance.now() - started) / 1_000
}

async function connectorConsume (url: string, queue: string, exactlyOnce: boolean): Promise<number> {
  let n = 0
  let done: () => void = () => {}
  const all = new Promise<void>(resolve => { done = resolve })
  const count: Sink<unknown> = { createWriter: () => ({ write: vs => { n += vs.length; if (n >= N) done() }, finish () {}, close () {} }) }
  const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 1_000 })
  env.fromSource(rabbitmqSource({ url, queue, prefetch: 65_535, exactlyOnce }), WatermarkStrategy.noWatermarks(), 'rabbit').sinkTo(count)
  const stop = new AbortController()
  const started = performance.now()
  const run = env.execute('bench-rabbitmq-source', { signal: stop.signal }).catch(() => {})
  await all
  const seconds = (performance.now() - started) / 1_000
  stop.abort()
  await run
  return seconds
}

const url = await brokerUrl()
const queues: string[] = []
const fresh = async (): Promise<string> => { const q = await createQueue(url, 'bench'); queues.push(q); return q }
try {
  const q1 = await fresh()
  const publish = line('publish: bare confirm channel', await barePublish(url, q1))
  const q2 = await fresh()
  line('publish: rabbitmqSink p=1, checkpoint 1 s', await connectorPublish(url, q2), publish)
  if (await readyCount(url, q2) !== N) throw new Error(`rabbitmqSink published ${await readyCount(url, q2)} of ${N}`)
  const consume = line('consume: bare consumer', await bareConsume(url, q1))
  line('consume: rabbitmqSource p=1, checkpoint 1 s', await connectorConsume(url, q2, false), consume)
  const q3 = await fresh()
  await barePublish(url, q3)
  line('consume: rabbitmqSource exactlyOnce p=1, checkpoint 1 s', await connectorConsume(url, q3, true), consume)
} finally {
  for (const q of queues) await deleteQueue(url, q)
}
