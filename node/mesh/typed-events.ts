/**
 * An EventTarget whose event names and `detail` types are checked by the compiler.
 *
 * @example
 * const events = new TypedEvents<{ 'peer:join': PeerInfo }>()
 * events.on('peer:join', info => { ... })
 * events.emit('peer:join', info)
 */
export class TypedEvents<M extends Record<string, unknown>> extends EventTarget {
  emit<K extends keyof M & string> (type: K, detail: M[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M & string> (type: K, listener: (detail: M[K]) => void, options?: { signal?: AbortSignal }): () => void {
    const wrapped = (e: Event): void => { listener((e as CustomEvent<M[K]>).detail) }
    this.addEventListener(type, wrapped, options)
    return () => { this.removeEventListener(type, wrapped) }
  }
}
