/**
 * relay(): what a task thread's run waits for before it is over — the promise resolves once
 * the end of the channel has been handed on (it arrives after the worker said it is done,
 * through another port), or when the run aborts; not before.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { relay } from '../../../../node/runtime/threads/channel-relay.ts'
import { encodeElement, isEndElement } from '../../../../protocol/element-codec.ts'

const test = suite('relay')

/** A source whose elements the test hands in, and a target that records what it got. */
function pipe (): { push: (bytes: Uint8Array) => void, got: Uint8Array[], source: Parameters<typeof relay>[0], target: Parameters<typeof relay>[1] } {
  const queue: Uint8Array[] = []
  let listener: (() => void) | undefined
  const got: Uint8Array[] = []
  return {
    got,
    push: bytes => { queue.push(bytes); listener?.() },
    source: { pollEncoded: () => queue.shift(), onAvailable: l => { listener = l } },
    target: { sendEncoded: bytes => { got.push(bytes) }, writable: true, whenWritable: async () => {} }
  }
}

const settled = async (p: Promise<unknown>): Promise<boolean> => await Promise.race([p.then(() => true), new Promise<boolean>(resolve => { setImmediate(() => { resolve(false) }) })])

test('resolves once the end element has been handed on, not before', async () => {
  const { push, got, source, target } = pipe()
  const done = relay(source, target, new AbortController().signal)
  push(encodeElement({ type: 'records', values: [1, 2], timestamps: [0, 0] }))
  assert.not.ok(await settled(done), 'records alone do not end the relay')
  push(encodeElement({ type: 'end' }))
  assert.ok(await settled(done), 'the end was relayed')
  assert.is(got.length, 2)
  assert.ok(isEndElement(got[1]!))
})

test('resolves when the run aborts', async () => {
  const { source, target } = pipe()
  const abort = new AbortController()
  const done = relay(source, target, abort.signal)
  assert.not.ok(await settled(done))
  abort.abort(new Error('cancelled'))
  assert.ok(await settled(done))
})

test.run()
