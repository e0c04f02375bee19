/**
 * Decoded dataset manifests by CID, for the peer's jobs: a manifest block is immutable, so
 * once decoded (and validated: every segment CID parsed, every statistic checked) it serves
 * every later read of that version — a job's submit, its build on each peer and each scan
 * subtask ask for the same manifests, and decoding one of many segments is not free.
 * Bounded (least recently used go first); a fetch or decode that fails is not kept.
 *
 * @example
 * const manifests = new ManifestCache({ fetchBlock })
 * const m = await manifests.get(ref.cid) // fetched and decoded once
 */
import { decodeDatasetManifest } from './dataset-manifest.ts'
import type { DatasetManifest } from './dataset-types.ts'

/** Manifests a ManifestCache keeps by default. */
export const DEFAULT_MANIFEST_CACHE_ENTRIES = 32

export interface ManifestCacheComponents {
  /** A block's verified bytes. */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
}

export interface ManifestCacheInit {
  /** Manifests kept (default DEFAULT_MANIFEST_CACHE_ENTRIES). */
  readonly entries?: number
}

export class ManifestCache {
  readonly #fetchBlock: (cid: string) => Promise<Uint8Array>
  readonly #entries: number
  /** Insertion order is recency: a hit moves its entry to the end. */
  readonly #cache = new Map<string, Promise<DatasetManifest>>()

  constructor (components: ManifestCacheComponents, init: ManifestCacheInit = {}) {
    this.#fetchBlock = components.fetchBlock
    this.#entries = Math.max(1, init.entries ?? DEFAULT_MANIFEST_CACHE_ENTRIES)
  }

  /**
   * The manifest in block `cid`, decoded.
   *
   * @throws what fetching the block throws, or InvalidDatasetManifestError
   */
  async get (cid: string): Promise<DatasetManifest> {
    let p = this.#cache.get(cid)
    if (p !== undefined) {
      this.#cache.delete(cid)
      this.#cache.set(cid, p)
      return await p
    }
    p = this.#fetchBlock(cid).then(bytes => decodeDatasetManifest(bytes))
    this.#cache.set(cid, p)
    p.catch(() => { if (this.#cache.get(cid) === p) this.#cache.delete(cid) })
    while (this.#cache.size > this.#entries) this.#cache.delete(this.#cache.keys().next().value!)
    return await p
  }
}
