/**
 * Turns whatever an async libp2p call rejected with into an Error with a message: libp2p
 * (through p-event) can reject with the stream's `close` Event itself, whose text is
 * `[object Event]`.
 *
 * @example
 * try { await host.dial(address) } catch (err) { throw asError(err) }
 */
import { ConnectionEventError } from './errors.ts'

/** `err` if it is an Error with a message; otherwise an Error saying what `err` was. */
export function asError (err: unknown): Error {
  if (err instanceof Error) {
    if (err.message !== '') return err
    return new Error(err.name === '' || err.name === 'Error' ? 'Unknown error' : err.name, { cause: err })
  }
  if (typeof Event !== 'undefined' && err instanceof Event) {
    const inner = (err as Event & { error?: unknown }).error
    const what = err.type === 'close' ? 'The connection closed' : `The connection failed ('${err.type}' event)`
    return new ConnectionEventError(inner instanceof Error && inner.message !== '' ? `${what}: ${inner.message}` : what, { cause: err })
  }
  return new Error(typeof err === 'string' && err !== '' ? err : `Unknown error: ${String(err)}`, { cause: err })
}
