/**
 * What the block garbage collector keeps (DESIGN §6): the roots — code, retained
 * checkpoints and what an attempt restores of every job that has not ended, the results of
 * batch regions, every savepoint, and every retained or pinned dataset version's manifest —
 * and the children of a reachable block: checkpoint manifests list their state chunks,
 * dataset manifests their segments, a batch result index its partition blocks. Every other
 * block (job code) is a leaf or a putLarge value, which the collector follows itself.
 *
 * @example
 * new BlockStorage({ ..., roots: () => gcRoots(registry), references: (_cid, bytes) => blockReferences(bytes) })
 */
import type { JobRegistry } from './job-registry.ts'
import { TERMINAL_STATES } from './job-registry.ts'
import { datasetManifestReferences, decodeDatasetManifest, isDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import { isResultIndex, resultIndexReferences } from '../runtime/blocking-results.ts'
import { decodeManifest, manifestReferences } from '../runtime/checkpoint-manifest.ts'

/** The CIDs everything kept hangs from (see the module comment). */
export function gcRoots (registry: Pick<JobRegistry, 'activeJobs' | 'savepoints' | 'datasets'>): string[] {
  const roots = new Set<string>()
  for (const job of registry.activeJobs) {
    if (TERMINAL_STATES.has(job.state)) continue
    roots.add(job.codeCid)
    for (const c of job.retained) roots.add(c.cid)
    if (job.restore !== undefined) roots.add(job.restore.cid)
    for (const r of job.batch?.regions ?? []) if (r.result !== undefined) roots.add(r.result) // results regions still read
  }
  for (const s of registry.savepoints) roots.add(s.cid)
  for (const cid of registry.datasets.roots()) roots.add(cid)
  return [...roots]
}

/**
 * The children of a reachable block. A block tagged as a dataset manifest (or result index)
 * that does not decode throws: its children are unknown, so the collector deletes nothing.
 */
export function blockReferences (bytes: Uint8Array): readonly string[] {
  if (isResultIndex(bytes)) return resultIndexReferences(bytes)
  if (isDatasetManifest(bytes)) return datasetManifestReferences(decodeDatasetManifest(bytes))
  try {
    return manifestReferences(decodeManifest(bytes))
  } catch {
    return []
  }
}
