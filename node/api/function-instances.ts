/**
 * Gives every parallel subtask its own instance of a rich function, as Flink does by
 * deserializing a copy per subtask: state handles a function keeps in fields (`this.count
 * = ctx.getState(...)` in `open`) then belong to that subtask alone.
 *
 * A function may be given as an object (each subtask gets a shallow copy of its own
 * properties, sharing its prototype) or as a factory `() => new MyFunction()`; a class
 * that uses `#private` fields must be given as a factory, since a copy cannot carry them.
 */
export type FunctionOrFactory<F extends object> = F | (() => F)

export function instancePerSubtask<F extends object> (fn: FunctionOrFactory<F>, what: string, method: string): () => F {
  if (typeof fn === 'function') {
    return () => {
      const made = (fn as () => F)()
      if (typeof made !== 'object' || made === null || typeof (made as Record<string, unknown>)[method] !== 'function') {
        throw new TypeError(`The factory given to ${what} must return an object with a ${method} method`)
      }
      return made
    }
  }
  return () => Object.create(Object.getPrototypeOf(fn), Object.getOwnPropertyDescriptors(fn)) as F
}
