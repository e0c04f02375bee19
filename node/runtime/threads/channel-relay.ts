/**
 * The main thread's part in a channel between a task worker and another peer: it moves
 * elements between the worker's port channel and the network channel, taking from one only
 * while the other has credit, so backpressure crosses the relay unchanged.
 */
import type { ChannelReader, ChannelWriter } from '../channel.ts'

/**
 * Moves every element of `from` to `to` while `to` is writable; resumes when `to` has
 * credit again, or when `from` has elements again. Stops at the end of input or when
 * `signal` aborts.
 */
export function relay (from: ChannelReader, to: ChannelWriter, signal: AbortSignal): void {
  let waiting = false
  let ended = false
  const pump = (): void => {
    if (waiting || ended || signal.aborted) return
    while (to.writable) {
      const element = from.poll()
      if (element === undefined) return
      to.send(element)
      if (element.type === 'end') {
        ended = true
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
}
