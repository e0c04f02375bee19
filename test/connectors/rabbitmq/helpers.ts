/**
 * Shared helpers of the RabbitMQ connector tests: the broker's URL (failing with the line
 * naming test/services/rabbitmq.sh when it is down), fresh queues, publishing and draining.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import amqp, { type ChannelModel } from 'amqplib'
import { requireService } from '../../services/services.ts'

/** The broker's AMQP URL once it answers. */
export async function brokerUrl (): Promise<string> {
  return await requireService('rabbitmq')
}

/** A queue name no other test (or engineer) uses. */
export function freshName (prefix: string): string {
  return `meshflow-test-${prefix}-${randomBytes(5).toString('hex')}`
}

/** Runs `fn` with a connection that is closed afterwards. */
export async function withConnection<R> (url: string, fn: (c: ChannelModel) => Promise<R>): Promise<R> {
  const c = await amqp.connect(url)
  try {
    return await fn(c)
  } finally {
    await c.close().catch(() => {})
  }
}

/** Declares a fresh durable queue and returns its name. */
export async function createQueue (url: string, prefix: string): Promise<string> {
  const name = freshName(prefix)
  await withConnection(url, async c => {
    const ch = await c.createChannel()
    await ch.assertQueue(name, { durable: true })
  })
  return name
}

export async function deleteQueue (url: string, queue: string): Promise<void> {
  await withConnection(url, async c => {
    const ch = await c.createChannel()
    await ch.deleteQueue(queue)
  })
}

/** Messages ready in `queue` (not delivered to a consumer, or delivered and requeued). */
export async function readyCount (url: string, queue: string): Promise<number> {
  return await withConnection(url, async c => {
    const ch = await c.createChannel()
    return (await ch.checkQueue(queue)).messageCount
  })
}

export interface PublishOptions {
  /** Set `messageId` to this function of the record (default: `String(record.id)` when it has one). */
  readonly messageId?: ((value: any) => string) | false
}

/** Publishes each value as JSON to `queue` (default exchange) with confirms. */
export async function publishJson (url: string, queue: string, values: readonly unknown[], options: PublishOptions = {}): Promise<void> {
  await publishRaw(url, queue, values.map(v => {
    const id = options.messageId === false ? undefined : (options.messageId ?? defaultId)(v)
    return { body: Buffer.from(JSON.stringify(v)), ...(id === undefined ? {} : { messageId: id }) }
  }))
}

function defaultId (v: any): string {
  return typeof v === 'object' && v !== null && 'id' in v ? String(v.id) : undefined as unknown as string
}

/** Publishes raw bodies to `queue` with confirms, in batches. */
export async function publishRaw (url: string, queue: string, messages: readonly { body: Buffer, messageId?: string }[]): Promise<void> {
  await withConnection(url, async c => {
    const ch = await c.createConfirmChannel()
    for (let i = 0; i < messages.length; i += 500) {
      for (const m of messages.slice(i, i + 500)) {
        ch.sendToQueue(queue, m.body, { persistent: true, ...(m.messageId === undefined ? {} : { messageId: m.messageId }) })
      }
      await ch.waitForConfirms()
    }
  })
}

/**
 * Consumes `queue` until at least `atLeast` messages arrived, or `timeoutMs` passed; acks
 * them all and returns their bodies parsed as JSON.
 */
export async function drainJson<T> (url: string, queue: string, atLeast: number, timeoutMs: number): Promise<T[]> {
  return await withConnection(url, async c => {
    const ch = await c.createChannel()
    await ch.prefetch(1_000)
    const out: T[] = []
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, timeoutMs)
      void ch.consume(queue, m => {
        if (m === null) return
        out.push(JSON.parse(m.content.toString('utf8')) as T)
        ch.ack(m)
        if (out.length >= atLeast) { clearTimeout(timer); resolve() }
      })
    })
    return out
  })
}

/** The JSON records of the committed (non-hidden) files of a fileSink directory. */
export async function committedJson<T> (dir: string): Promise<T[]> {
  const out: T[] = []
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return out
  }
  for (const f of names.filter(n => !n.startsWith('.'))) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as T)
  }
  return out
}

/** Polls `check` until it holds, failing with `what` after `ms` (a generous deadline, not a timing assertion). */
export async function until (what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Ids 0..n-1 as records `{ id, payload }`. */
export function records (n: number, from = 0): { id: number, payload: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: from + i, payload: `p${from + i}` }))
}
