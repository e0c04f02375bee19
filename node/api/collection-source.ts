/**
 * A bounded, non-parallel source over an in-memory array (`env.fromCollection(xs)`).
 * Its one split remembers the index of the next element.
 */
import type { Source, SourceReader, SourceSplit } from './source.ts'

export interface CollectionSplit extends SourceSplit {
  readonly next: number
}

class CollectionReader<T> implements SourceReader<T, CollectionSplit> {
  readonly #items: readonly T[]
  #next = -1

  constructor (items: readonly T[]) { this.#items = items }

  addSplits (splits: CollectionSplit[]): void {
    for (const s of splits) this.#next = s.next
  }

  pollNext (max: number): T[] | null {
    if (this.#next < 0 || this.#next >= this.#items.length) return null
    const batch = this.#items.slice(this.#next, this.#next + max)
    this.#next += batch.length
    return batch
  }

  snapshotSplits (): CollectionSplit[] {
    return this.#next < 0 || this.#next >= this.#items.length ? [] : [{ id: '0', next: this.#next }]
  }

  close (): void {}
}

export function collectionSource<T> (items: readonly T[]): Source<T, CollectionSplit> {
  if (!Array.isArray(items)) throw new TypeError('fromCollection needs an array')
  const copy = items.slice()
  return {
    bounded: true,
    createSplits: () => [{ id: '0', next: 0 }],
    createReader: () => new CollectionReader(copy)
  }
}
