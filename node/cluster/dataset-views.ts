/**
 * What any peer answers about datasets from its own copy of the catalog (every peer applies
 * the log): the list `meshflow datasets --json` prints, and one dataset in detail
 * (`meshflow dataset show NAME --json`) — its schema and partitioning from the latest
 * manifest block, its retained versions, and per partition the segments, rows, bytes and
 * the peers that hold them (asked with `has`, see `BlockStorage.holders`).
 *
 * @example
 * const views = new DatasetViews({ registry, fetchBlock, holders })
 * views.list()                 // [{ name: 'sales', version: 4, partitions: 8, rows, bytes, segments, versions, createdAt }]
 * await views.show('sales')    // { name, version, schema, partitioning, versions, partitions: [{ partition, holders }] }
 */
import type { DatasetDetail, DatasetInfo, PartitionHolder } from '../../protocol/client.ts'
import { MAX_DATASETS } from '../../protocol/dataset-fields.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { decodeDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import type { JobRegistry } from './job-registry.ts'
import { DatasetNotFoundError, DatasetRejectedError } from './errors.ts'

export interface DatasetViewsComponents {
  readonly registry: JobRegistry
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  readonly holders: (cids: readonly string[]) => Promise<Map<string, string[]>>
}

export class DatasetViews {
  readonly #c: DatasetViewsComponents

  constructor (components: DatasetViewsComponents) {
    this.#c = components
  }

  /** Every dataset (the first `MAX_DATASETS`), its latest version's totals. */
  list (): DatasetInfo[] {
    return this.#c.registry.datasets.datasets.slice(0, MAX_DATASETS).map(d => {
      const latest = d.versions.at(-1)!
      return {
        name: d.name,
        version: latest.version,
        cid: latest.cid,
        partitions: d.partitioning.partitions,
        rows: latest.rows,
        bytes: latest.bytes,
        segments: d.segments,
        versions: d.versions.length,
        createdAt: latest.createdAt
      }
    })
  }

  /**
   * One dataset in detail, its latest version read from the mesh.
   *
   * @throws {DatasetNotFoundError} when no dataset has that name
   * @throws {DatasetRejectedError} when the latest manifest cannot be read
   */
  async show (name: string): Promise<DatasetDetail> {
    const d = this.#c.registry.datasets.dataset(name)
    if (d === undefined) throw new DatasetNotFoundError(name)
    const latest = d.versions.at(-1)!
    let manifest
    try {
      manifest = decodeDatasetManifest(await this.#c.fetchBlock(latest.cid))
    } catch (err) {
      throw new DatasetRejectedError(`Version ${latest.version} of dataset '${name}' (manifest ${latest.cid}) cannot be read: ${errorMessage(err)}`, { cause: err })
    }
    const held = await this.#c.holders(manifest.partitions.flatMap(p => p.map(s => s.cid)))
    const pins = this.#c.registry.pinnedVersions(name)
    return {
      name,
      version: latest.version,
      schema: { columns: manifest.schema.columns.map(c => ({ name: c.name, type: c.type })) },
      partitioning: { ...manifest.partitioning },
      rows: latest.rows,
      bytes: latest.bytes,
      createdAt: latest.createdAt,
      versions: d.versions.map(v => ({ version: v.version, cid: v.cid, rows: v.rows, bytes: v.bytes, createdAt: v.createdAt, pinned: pins.has(v.version) })),
      partitions: manifest.partitions.map((segments, partition) => {
        const byPeer = new Map<string, { segments: number, bytes: number }>()
        for (const s of segments) {
          for (const peer of held.get(s.cid) ?? []) {
            const h = byPeer.get(peer) ?? { segments: 0, bytes: 0 }
            h.segments++
            h.bytes += s.bytes
            byPeer.set(peer, h)
          }
        }
        const holders: PartitionHolder[] = [...byPeer].map(([peer, h]) => ({ peer, ...h })).sort((a, b) => b.bytes - a.bytes || (a.peer < b.peer ? -1 : 1))
        return {
          partition,
          segments: segments.length,
          rows: segments.reduce((n, s) => n + s.rows, 0),
          bytes: segments.reduce((n, s) => n + s.bytes, 0),
          holders
        }
      })
    }
  }
}
