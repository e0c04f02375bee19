/**
 * The main thread's part in a channel between a task worker and another peer: it moves
 * elements between the worker's port channel and the network channel, taking from one only
 * while the other has credit, so backpressure crosses the relay unchanged. The elements
 * are the network's bytes, made and read on the worker: the relay never decodes them.
 */
import { decodeElement, encodeElement, isEndElement } from '../../../protocol/element-codec.ts'
import type { ChannelReader, ChannelWriter, EncodedChannelReader, EncodedChannelWriter } from '../channel.ts'
import type { StreamElement } from '../stream-element.ts'

/**
 * Moves every element of `from` to `to` while `to` is writable; resumes when `to` has
 * credit again, or when `from` has elements again. Stops after the end of input or when
 * `signal` aborts; the promise it returns resolves then (a run waits for its outbound
 * relays, so the end of every channel is handed on before the run is over).
 */
export function relay (from: EncodedChannelReader, to: EncodedChannelWriter, signal: AbortSignal): Promise<void> {
  let waiting = false
  let ended = false
  let relayed!: () => void
  const done = new Promise<void>(resolve => { relayed = resolve })
  const onAbort = (): void => { relayed() }
  signal.addEventListener('abort', onAbort, { once: true })
  const pump = (): void => {
    if (waiting || ended || signal.aborted) return
    while (to.writable) {
      const bytes = from.pollEncoded()
      if (bytes === undefined) return
      to.sendEncoded(bytes)
      if (isEndElement(bytes)) {
        ended = true
        signal.removeEventListener('abort', onAbort)
        relayed()
        return
      }
    }
    waiting = true
    to.whenWritable(signal).then(() => {
      waiting = false
      pump()
    }, () => {})
  }
  from.onAvailable(pump)
  pump()
  return done
}

/** The main thread's end of a port channel from a worker, as a relay source. */
export function portSource (from: { poll(): Uint8Array | undefined, onAvailable(listener: () => void): void }): EncodedChannelReader {
  return { pollEncoded: () => from.poll(), onAvailable: listener => { from.onAvailable(listener) } }
}

/** The main thread's end of a port channel to a worker, as a relay target. */
export function portTarget (to: { send(bytes: Uint8Array): void, readonly writable: boolean, whenWritable(signal?: AbortSignal): Promise<void> }): EncodedChannelWriter {
  return {
    sendEncoded: bytes => { to.send(bytes) },
    get writable () { return to.writable },
    whenWritable: async signal => { await to.whenWritable(signal) }
  }
}

/** A channel writer as a relay target, for providers without encoded channels (decodes here). */
export function encodingWriter (w: ChannelWriter): EncodedChannelWriter {
  return {
    sendEncoded: bytes => { w.send(decodeElement(bytes) as StreamElement) },
    get writable () { return w.writable },
    whenWritable: async signal => { await w.whenWritable(signal) }
  }
}

/** A channel reader as a relay source, for providers without encoded channels (encodes here). */
export function encodingReader (r: ChannelReader): EncodedChannelReader {
  return {
    pollEncoded: () => {
      const element = r.poll()
      return element === undefined ? undefined : encodeElement(element)
    },
    onAvailable: listener => { r.onAvailable(listener) }
  }
}
