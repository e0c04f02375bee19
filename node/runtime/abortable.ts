/**
 * Waiting with a way out: `abortable(promise, signal)` settles as `promise` does, or rejects
 * with the signal's reason as soon as it aborts, and removes its listener either way (as
 * denoland/std `async/abortable.ts`).
 *
 * @example
 * const batch = await abortable(reader.pollNext(1024), signal)
 */

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
export async function abortable<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  let onAbort: () => void = () => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
