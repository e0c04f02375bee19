/**
 * An `EventTarget` whose event names and detail types are checked by the compiler
 * (in the manner of libp2p's `TypedEventEmitter`).
 */

/** A listener for events of type `E`: a function or an object with `handleEvent`. */
export type EventListenerFor<E extends Event> = ((event: E) => void) | { handleEvent (event: E): void }

type AddOptions = Parameters<EventTarget['addEventListener']>[2]
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2]
type Listener = Parameters<EventTarget['addEventListener']>[1]

/** `EventMap` maps each event name to its event type, usually a `CustomEvent<Detail>`. */
export class TypedEventTarget<EventMap extends { [K in keyof EventMap]: Event }> extends EventTarget {
  override addEventListener<K extends keyof EventMap & string> (type: K, listener: EventListenerFor<EventMap[K]>, options?: AddOptions): void {
    super.addEventListener(type, listener as Listener, options)
  }

  override removeEventListener<K extends keyof EventMap & string> (type: K, listener: EventListenerFor<EventMap[K]>, options?: RemoveOptions): void {
    super.removeEventListener(type, listener as Listener, options)
  }

  /** Dispatches a `CustomEvent` carrying `detail`. */
  protected emit<K extends keyof EventMap & string> (type: K, detail: EventMap[K] extends CustomEvent<infer D> ? D : never): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
