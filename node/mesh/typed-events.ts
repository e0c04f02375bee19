/**
 * The one typed event emitter of meshflow: an EventTarget whose event names and `detail`
 * types are checked by the compiler. Subclasses emit; listeners use `on` (the detail, and a
 * function that removes the listener) or `addEventListener` (the `CustomEvent`), both typed.
 * Dispatch is synchronous, as EventTarget's: listeners run inside `emit`, in order.
 *
 * @example
 * class Members extends TypedEvents<{ 'peer:join': PeerInfo }> {
 *   join (info: PeerInfo): void { this.emit('peer:join', info) }
 * }
 * const off = members.on('peer:join', info => { ... })
 * members.addEventListener('peer:join', e => { e.detail.id })
 */

/** A listener for `CustomEvent<D>`: a function or an object with `handleEvent`. */
export type DetailListener<D> = ((event: CustomEvent<D>) => void) | { handleEvent (event: CustomEvent<D>): void }

type AddOptions = Parameters<EventTarget['addEventListener']>[2]
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2]
type Listener = Parameters<EventTarget['addEventListener']>[1]

/** `M` maps each event name to the type of its `detail`. */
export class TypedEvents<M extends Record<string, unknown>> extends EventTarget {
  /** Dispatches a `CustomEvent` carrying `detail`. */
  protected emit<K extends keyof M & string> (type: K, detail: M[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  /** Adds a listener of the detail; returns a function that removes it. */
  on<K extends keyof M & string> (type: K, listener: (detail: M[K]) => void, options?: { signal?: AbortSignal }): () => void {
    const wrapped = (e: Event): void => { listener((e as CustomEvent<M[K]>).detail) }
    this.addEventListener(type, wrapped, options)
    return () => { this.removeEventListener(type, wrapped) }
  }

  override addEventListener<K extends keyof M & string> (type: K, listener: DetailListener<M[K]>, options?: AddOptions): void {
    super.addEventListener(type, listener as Listener, options)
  }

  override removeEventListener<K extends keyof M & string> (type: K, listener: DetailListener<M[K]>, options?: RemoveOptions): void {
    super.removeEventListener(type, listener as Listener, options)
  }
}
