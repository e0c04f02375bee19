import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Uint8ArrayList } from 'uint8arraylist'
import { handleMessages, readMessages, sendMessages, type MessageStreamLike } from '../../protocol/message-handler.ts'
import { CLIENT_CODEC, DATA_CODEC, encodeClientMessage } from '../../protocol/codec.ts'
import { encodeFrame, encodeLengthPrefix } from '../../protocol/framing.ts'
import type { ClientMessage } from '../../protocol/client.ts'

/**
 * An in-memory stream: `incoming` is what the remote sent (then it closed its side);
 * `sent` collects what we wrote. Records close/abort calls.
 */
class FakeStream implements MessageStreamLike {
  readonly id = 'fake-1'
  readonly protocol = CLIENT_CODEC.protocol
  sent: Uint8Array[] = []
  closed = false
  aborted: Error | undefined
  readonly #incoming: (Uint8Array | Uint8ArrayList)[]
  readonly #hold: Promise<void> | undefined

  constructor (incoming: (Uint8Array | Uint8ArrayList)[], hold?: Promise<void>) {
    this.#incoming = incoming
    this.#hold = hold
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array | Uint8ArrayList> {
    for (const chunk of this.#incoming) {
      if (this.aborted !== undefined) throw this.aborted
      yield chunk
    }
    if (this.#hold !== undefined) await this.#hold
    if (this.aborted !== undefined) throw this.aborted
  }

  send (data: Uint8Array | Uint8ArrayList): boolean {
    this.sent.push(data instanceof Uint8Array ? data : data.subarray())
    return true
  }

  async onDrain (): Promise<void> {}
  async close (): Promise<void> { this.closed = true }
  abort (err: Error): void { this.aborted ??= err }
}

async function answers (stream: FakeStream): Promise<ClientMessage[]> {
  const out: ClientMessage[] = []
  for await (const m of readMessages(stream.sent, CLIENT_CODEC)) out.push(m)
  return out
}

const handle = suite('handleMessages')

handle('calls the handler per message in order, sends its answers, and closes at the end', async () => {
  const stream = new FakeStream([
    encodeFrame(encodeClientMessage({ type: 'status-request', id: 1 })),
    encodeFrame(encodeClientMessage({ type: 'status-request', id: 2 }))
  ])
  const seen: number[] = []
  const result = await handleMessages(stream, CLIENT_CODEC, async (m, ctx) => {
    seen.push(m.id)
    await ctx.send({ type: 'status-response', id: m.id, leader: null, term: 0, peers: [] })
  })
  assert.equal(result, { ok: true })
  assert.equal(seen, [1, 2])
  assert.equal((await answers(stream)).map(a => [a.type, a.id]), [['status-response', 1], ['status-response', 2]])
  assert.ok(stream.closed)
  assert.is(stream.aborted, undefined)
})

handle('aborts the stream on a malformed frame, after handling the good ones, and resolves', async () => {
  const stream = new FakeStream([
    encodeFrame(encodeClientMessage({ type: 'status-request', id: 1 })),
    encodeFrame(new Uint8Array([0xa1, 0x61, 0x78, 0x01])) // {x: 1}
  ])
  const seen: number[] = []
  const result = await handleMessages(stream, CLIENT_CODEC, m => { seen.push(m.id) })
  assert.equal(seen, [1])
  assert.is(result.ok, false)
  assert.is(stream.aborted?.name, 'MalformedMessageError')
  assert.is(stream.aborted?.message, "Malformed client message: field 'x' is not a field of this message")
  assert.not.ok(stream.closed)
})

handle('aborts on an oversized frame without reading it, and on a truncated one', async () => {
  const big = new FakeStream([encodeLengthPrefix(CLIENT_CODEC.maxFrameBytes + 1)])
  await handleMessages(big, CLIENT_CODEC, () => {})
  assert.is(big.aborted?.name, 'FrameTooLargeError')
  const cut = new FakeStream([encodeFrame(encodeClientMessage({ type: 'status-request', id: 1 })).subarray(0, 3)])
  await handleMessages(cut, CLIENT_CODEC, () => {})
  assert.is(cut.aborted?.name, 'TruncatedFrameError')
})

handle('aborts the stream with the error of a handler that throws, and does not reject', async () => {
  const stream = new FakeStream([encodeFrame(encodeClientMessage({ type: 'status-request', id: 1 }))])
  const result = await handleMessages(stream, CLIENT_CODEC, () => { throw new TypeError('handler bug') })
  assert.is(result.ok, false)
  assert.is(stream.aborted?.message, 'handler bug')
})

handle('aborts the stream when the caller signal fires', async () => {
  let release!: () => void
  const stream = new FakeStream([], new Promise<void>(resolve => { release = resolve }))
  const controller = new AbortController()
  const done = handleMessages(stream, CLIENT_CODEC, () => {}, { signal: controller.signal })
  controller.abort(new Error('peer stopping'))
  release()
  const result = await done
  assert.is(result.ok, false)
  assert.is(stream.aborted?.message, 'peer stopping')
})

const send = suite('sendMessages')

send('writes all messages as frames in one send()', async () => {
  const stream = new FakeStream([])
  await sendMessages(stream, DATA_CODEC, [{ type: 'credit', channel: 1, credits: 2 }, { type: 'end', channel: 1 }])
  assert.is(stream.sent.length, 1)
  const got = []
  for await (const m of readMessages(stream.sent, DATA_CODEC)) got.push(m)
  assert.equal(got, [{ type: 'credit', channel: 1, credits: 2 }, { type: 'end', channel: 1 }])
})

handle.run()
send.run()
