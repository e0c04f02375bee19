/**
 * Where the partitions of a job's dataset scans live, for the scheduler (DESIGN §5: "read
 * a dataset partition where a replica lives"). For every scan vertex of the graph, each
 * partition of the version it reads is sampled (its largest segments, at most
 * `LOCALITY_SAMPLE_SEGMENTS`, so a partition of many segments costs a bounded question) and
 * the peers holding those segments are asked once for all of them (`BlockStorage.holders`).
 * A job without scans asks nothing; a question that fails or times out leaves the job
 * without locality (it is scheduled as before), never without a schedule.
 *
 * @example
 * const locality = await scanLocality(graph, manifests, holders)
 * schedule(graph, peers, { locality })
 */
import { logger } from '@libp2p/logger'
import type { JobGraph } from '../graph/job-graph.ts'
import { catalogKey } from '../api/dataset-catalog-view.ts'
import type { DatasetManifest, SegmentRef } from '../storage/datasets/dataset-types.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { PartitionLocality, ScanLocality } from './scheduler.ts'

const log = logger('meshflow:cluster:scan-locality')

/** The most segments of one partition whose holders are asked. */
export const LOCALITY_SAMPLE_SEGMENTS = 8
/** How long asking the holders may take before the job is scheduled without locality. */
export const LOCALITY_TIMEOUT_MS = 5_000

/** Which peers hold each CID (see BlockStorage.holders). */
export type HoldersOf = (cids: readonly string[], options: { signal?: AbortSignal }) => Promise<Map<string, string[]>>

/** The dataset a vertex scans (`env.readDataset`, `datasetSource`), if it scans one. */
export function scannedDataset (vertex: JobGraph['vertices'][number]): { name: string, version: number | undefined } | undefined {
  const dataset = (vertex.source?.source as { dataset?: { name?: unknown, version?: unknown } } | undefined)?.dataset
  if (typeof dataset?.name !== 'string') return undefined
  return { name: dataset.name, version: typeof dataset.version === 'number' ? dataset.version : undefined }
}

/** The segments of a partition whose holders stand for it: the largest ones. */
function sample (segments: readonly SegmentRef[]): readonly SegmentRef[] {
  if (segments.length <= LOCALITY_SAMPLE_SEGMENTS) return segments
  return [...segments].sort((a, b) => b.bytes - a.bytes || (a.cid < b.cid ? -1 : 1)).slice(0, LOCALITY_SAMPLE_SEGMENTS)
}

/**
 * Scan vertex id -> per partition its sampled bytes and the bytes each peer holds.
 * `manifests` are the versions the job reads, by `catalogKey(name, version asked)`.
 */
export async function scanLocality (graph: JobGraph, manifests: ReadonlyMap<string, DatasetManifest>, holders: HoldersOf, options: { signal?: AbortSignal } = {}): Promise<ScanLocality> {
  const scans: { vertex: string, partitions: readonly (readonly SegmentRef[])[] }[] = []
  for (const vertex of graph.vertices) {
    const read = scannedDataset(vertex)
    const manifest = read === undefined ? undefined : manifests.get(catalogKey(read.name, read.version))
    if (manifest !== undefined) scans.push({ vertex: vertex.id, partitions: manifest.partitions.map(sample) })
  }
  if (scans.length === 0) return new Map()
  const cids = scans.flatMap(s => s.partitions.flatMap(p => p.map(seg => seg.cid)))
  let held: Map<string, string[]>
  try {
    const signal = AbortSignal.any([AbortSignal.timeout(LOCALITY_TIMEOUT_MS), ...(options.signal === undefined ? [] : [options.signal])])
    held = await holders(cids, { signal })
  } catch (err) {
    log('asking who holds %d segments failed, scheduling without locality: %s', cids.length, errorMessage(err))
    return new Map()
  }
  const out = new Map<string, PartitionLocality[]>()
  for (const scan of scans) {
    out.set(scan.vertex, scan.partitions.map(segments => {
      const byPeer = new Map<string, number>()
      let bytes = 0
      for (const s of segments) {
        bytes += s.bytes
        for (const peer of held.get(s.cid) ?? []) byPeer.set(peer, (byPeer.get(peer) ?? 0) + s.bytes)
      }
      return { bytes, holders: byPeer }
    }))
  }
  return out
}
