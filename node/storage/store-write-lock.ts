/**
 * One writer at a time on a peer store's hyperdb instance.
 *
 * Why: every write on the main hyperdb instance goes into one shared update buffer, and
 * `flush()` commits whatever that buffer holds, then clears it. A second writer that
 * inserts while another's flush is committing loses its insert (the buffer is cleared
 * after the commit; measured: 164 of 200 such inserts lost), and a flush while another
 * writer's insert is in progress throws 'Insert/delete in progress'. So each insert-then-
 * flush sequence must run alone. Every store on a `PeerStore` should write through
 * `storeWriteLock(store).run(…)`; the block store does.
 *
 * @example
 * await storeWriteLock(store).run(async () => {
 *   await store.db.insert('@meshflow/meta', { key, value })
 *   await store.db.flush()
 * })
 */
import type { PeerStore } from './peer-store.ts'

/** A FIFO mutex for async critical sections. */
export class StoreWriteLock {
  #tail: Promise<void> = Promise.resolve()

  /** Runs `fn` once every earlier `run` has settled; resolves or rejects with it. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail
    let release!: () => void
    this.#tail = new Promise<void>(resolve => { release = resolve })
    try {
      await previous
      return await fn()
    } finally {
      release()
    }
  }
}

/** The write lock of `store`: the same object for every caller of the same store. */
export function storeWriteLock (store: PeerStore): StoreWriteLock {
  return store.writeLock
}
