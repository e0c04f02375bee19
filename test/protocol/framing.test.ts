import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeFrames, encodeFrame, encodeLengthPrefix, writeFrames, lengthPrefixBytes, type FrameSink } from '../../protocol/framing.ts'
import { FrameTooLargeError, TruncatedFrameError } from '../../protocol/errors.ts'
import { MAX_LENGTH_PREFIX_BYTES } from '../../protocol/constants.ts'

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const x of source) out.push(x)
  return out
}

async function rejectsAsync (fn: () => Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  try {
    await fn()
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    if (typeof message === 'string') assert.is((err as Error).message, message)
    else assert.match((err as Error).message, message)
    return
  }
  assert.unreachable(`expected ${name}`)
}

/** Splits bytes at the given cut points into chunks. */
function chunk (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let at = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p))
    at = p
  }
  return out
}

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8ArrayList(...parts).subarray()

const encode = suite('encodeFrame')

encode('writes an unsigned varint length then the payload', () => {
  assert.equal([...encodeFrame(new Uint8Array([7, 8, 9]))], [3, 7, 8, 9])
  assert.equal([...encodeLengthPrefix(300)], [0xac, 0x02])
  assert.equal([...encodeLengthPrefix(0)], [0])
  assert.is(lengthPrefixBytes(2 ** 24), 4)
})

encode('refuses a payload above maxBytes', () => {
  try {
    encodeFrame(new Uint8Array(11), 10)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, FrameTooLargeError)
    assert.is((err as Error).message, 'Frame of 11 bytes exceeds the limit of 10 bytes')
  }
})

const decode = suite('decodeFrames')

decode('yields each payload whatever the chunking (property)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), async (payloads, cuts, asList) => {
    const bytes = concat(payloads.map(p => encodeFrame(p)))
    const chunks = chunk(bytes, cuts)
    const source = asList ? chunks.map(c => new Uint8ArrayList(c)) : chunks
    const out = await collect(decodeFrames(source, { maxBytes: 300 }))
    assert.equal(out.map(x => [...x]), payloads.map(p => [...p]))
  }), { numRuns: 300 })
})

decode('yields a payload within one chunk without copying it', async () => {
  const frame = encodeFrame(new Uint8Array([1, 2, 3]))
  const [payload] = await collect(decodeFrames([frame], { maxBytes: 10 }))
  assert.is(payload!.buffer, frame.buffer)
})

decode('refuses an oversized frame from its length prefix alone, before the payload arrives', async () => {
  async function * source (): AsyncGenerator<Uint8Array> {
    yield encodeLengthPrefix(1_000_000)
    throw new Error('read past the length prefix')
  }
  await rejectsAsync(() => collect(decodeFrames(source(), { maxBytes: 1000 })), 'FrameTooLargeError', 'Frame of 1000000 bytes exceeds the limit of 1000 bytes')
  // even when only the first byte of a long prefix has arrived
  await rejectsAsync(() => collect(decodeFrames([new Uint8Array([0xff])], { maxBytes: 100 })), 'FrameTooLargeError', 'Frame of 127 bytes exceeds the limit of 100 bytes')
})

decode('refuses an endless length prefix', async () => {
  const zeros = new Uint8Array(MAX_LENGTH_PREFIX_BYTES).fill(0x80)
  await rejectsAsync(() => collect(decodeFrames([zeros], { maxBytes: 100 })), 'FrameTooLargeError', `Frame length prefix is longer than ${MAX_LENGTH_PREFIX_BYTES} bytes`)
})

decode('reports a stream that ends inside a payload or a length prefix', async () => {
  const frame = encodeFrame(new Uint8Array(200))
  const err = await collect(decodeFrames([frame.subarray(0, 50)], { maxBytes: 1000 })).catch((e: unknown) => e)
  assert.instance(err, TruncatedFrameError)
  assert.is((err as Error).message, 'Stream ended inside a frame: expected 202 bytes, received 50')
  await rejectsAsync(() => collect(decodeFrames([frame.subarray(0, 1)], { maxBytes: 1000 })), 'TruncatedFrameError', "Stream ended inside a frame's length prefix after 1 bytes")
})

decode('yields the frames before a truncated one', async () => {
  const bytes = concat([encodeFrame(new Uint8Array([1])), encodeFrame(new Uint8Array([2, 3])).subarray(0, 2)])
  const seen: number[][] = []
  await rejectsAsync(async () => { for await (const p of decodeFrames([bytes], { maxBytes: 10 })) seen.push([...p]) }, 'TruncatedFrameError', /expected 3 bytes, received 2/)
  assert.equal(seen, [[1]])
})

decode('yields zero-length payloads', async () => {
  const out = await collect(decodeFrames([new Uint8Array([0, 0])], { maxBytes: 10 }))
  assert.equal(out.map(x => x.length), [0, 0])
})

decode('stops with the signal reason when aborted', async () => {
  const controller = new AbortController()
  controller.abort(new Error('stopping'))
  await rejectsAsync(() => collect(decodeFrames([encodeFrame(new Uint8Array(1))], { maxBytes: 10, signal: controller.signal })), 'Error', 'stopping')
})

decode('stops with the signal reason while waiting for a chunk that never comes (a silent peer)', async () => {
  const controller = new AbortController()
  let returned = false
  const silent: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => await new Promise<IteratorResult<Uint8Array>>(() => {}),
      return: async () => { returned = true; return { done: true, value: undefined } }
    })
  }
  const reading = collect(decodeFrames(silent, { maxBytes: 10, signal: controller.signal }))
  controller.abort(new Error('gave up waiting'))
  await rejectsAsync(() => reading, 'Error', 'gave up waiting')
  assert.ok(returned, 'the source was ended')
})

/** A FrameSink that records sends and reports a full buffer on demand. */
class FakeSink implements FrameSink {
  sent: Uint8Array[] = []
  full = false
  drains = 0
  #drain: (() => void) | undefined
  send (data: Uint8Array | Uint8ArrayList): boolean {
    this.sent.push(data instanceof Uint8Array ? data : data.subarray())
    return !this.full
  }

  async onDrain (): Promise<void> {
    this.drains++
    await new Promise<void>(resolve => { this.#drain = resolve })
  }

  drain (): void {
    this.full = false
    this.#drain?.()
  }
}

const write = suite('writeFrames')

write('sends all frames of a small batch in one send()', async () => {
  const sink = new FakeSink()
  await writeFrames(sink, [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array(0)])
  assert.is(sink.sent.length, 1)
  assert.equal([...sink.sent[0]!], [1, 1, 2, 2, 3, 0])
})

write('splits large batches at batchBytes', async () => {
  const sink = new FakeSink()
  await writeFrames(sink, Array.from({ length: 10 }, () => new Uint8Array(100)), { batchBytes: 250 })
  assert.is(sink.sent.length, 4)
  const frames = await collect(decodeFrames(sink.sent, { maxBytes: 100 }))
  assert.is(frames.length, 10)
})

write("waits for 'drain' when send() returns false", async () => {
  const sink = new FakeSink()
  sink.full = true
  let resolved = false
  const done = writeFrames(sink, [new Uint8Array([1])]).then(() => { resolved = true })
  await new Promise(resolve => setTimeout(resolve, 20))
  assert.is(resolved, false)
  assert.is(sink.drains, 1)
  sink.drain()
  await done
  assert.is(resolved, true)
})

write('refuses an oversized payload before sending anything', async () => {
  const sink = new FakeSink()
  await rejectsAsync(() => writeFrames(sink, [new Uint8Array(1), new Uint8Array(20)], { maxBytes: 10 }), 'FrameTooLargeError', 'Frame of 20 bytes exceeds the limit of 10 bytes')
  assert.is(sink.sent.length, 0)
})

encode.run()
decode.run()
write.run()
