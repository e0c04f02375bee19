import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MessageChannel } from 'node:worker_threads'
import { BYTES_CODEC, PortLink, THREAD_CODEC, WIRE_CODEC } from '../../../../node/runtime/threads/port-channel.ts'
import { encodeElement } from '../../../../protocol/element-codec.ts'
import type { StreamElement } from '../../../../node/runtime/stream-element.ts'

const port = suite('PortLink')

/** The next element of a reader, waiting for it to arrive. */
async function take<T> (r: { poll(): T | undefined, onAvailable(l: () => void): void }): Promise<T> {
  for (;;) {
    const value = r.poll()
    if (value !== undefined) return value
    await new Promise<void>(resolve => { r.onAvailable(resolve) })
  }
}

port('a relayed element crosses as a copy: the network buffer it was a view into stays whole', async () => {
  const { port1, port2 } = new MessageChannel()
  const a = new PortLink(port1)
  const b = new PortLink(port2)
  try {
    // what the network layer hands on: a Node Buffer view into a larger pooled buffer
    const element = encodeElement({ type: 'records', values: [{ x: 1 }], timestamps: [7] })
    const pool = Buffer.alloc(element.byteLength + 32, 0xee)
    pool.set(element, 16)
    const view = pool.subarray(16, 16 + element.byteLength)
    const reader = b.reader<StreamElement>('c', 4, WIRE_CODEC)
    const arrived = new Promise<void>(resolve => { reader.onAvailable(resolve) })
    a.writer('c', 4, BYTES_CODEC).send(view)
    await arrived
    assert.equal(reader.poll(), { type: 'records', values: [{ x: 1 }], timestamps: [7] })
    assert.is(pool.buffer.byteLength > 0, true, 'the pooled buffer is not detached')
    assert.is(pool[0], 0xee)
    assert.equal([...pool.subarray(16, 16 + element.byteLength)], [...element])
  } finally {
    a.close()
    b.close()
  }
})

port('credits: a writer stops being writable after capacity elements and resumes as the reader takes them', async () => {
  const { port1, port2 } = new MessageChannel()
  const a = new PortLink(port1)
  const b = new PortLink(port2)
  try {
    const w = a.writer<StreamElement>('c', 4, THREAD_CODEC)
    const r = b.reader<StreamElement>('c', 4, THREAD_CODEC)
    for (let i = 0; i < 4; i++) w.send({ type: 'watermark', timestamp: i })
    assert.is(w.writable, false)
    const writable = w.whenWritable()
    for (let i = 0; i < 4; i++) assert.equal(await take(r), { type: 'watermark', timestamp: i })
    await writable
    assert.is(w.writable, true)
    // the last two credits come back in one message once the reader took the fourth
    const until = Date.now() + 30_000
    while (w.queued > 0) {
      if (Date.now() > until) assert.unreachable(`the credits never came back (${w.queued} still queued)`)
      await new Promise(resolve => setImmediate(resolve))
    }
    assert.is(w.queued, 0)
  } finally {
    a.close()
    b.close()
  }
})

port.run()
