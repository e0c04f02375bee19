/**
 * What `meshflow datasets` and `meshflow dataset show` print: the JSON of DESIGN §7
 * (`[{ "name", "version", "partitions", "rows", "bytes", … }]`, with replica health), or
 * tables for a terminal.
 *
 * @example
 * formatDatasets([{ info, replicas: { expected: 1, healthy: 4, underReplicated: 0 } }], true)
 * // '[{"name":"sales","version":1,"partitions":4,"rows":1000,"bytes":20480,…,"replicas":{…}}]\n'
 */
import type { DatasetDetail, DatasetInfo } from '../../protocol/client-datasets.ts'
import { formatTable } from './format-table.ts'
import { utcTime } from './savepoints-command.ts'

/** How well a dataset's partitions are replicated (see {@link replicaHealth}). */
export interface ReplicaHealth {
  /** Copies each segment should have: `min(3, peers)`. */
  readonly expected: number
  /** Partitions whose segments have the expected copies. */
  readonly healthy: number
  /** Partitions with fewer copies than expected. */
  readonly underReplicated: number
}

/** A dataset as `meshflow datasets` lists it. */
export interface DatasetListEntry {
  readonly info: DatasetInfo
  /** Undefined when the dataset's latest version could not be read. */
  readonly replicas: ReplicaHealth | undefined
}

/**
 * The replica health of a dataset's latest version, from the holders `dataset show` lists:
 * a partition is healthy when its holders hold at least `expected` copies of its segments
 * in all (the sum over holders of the segments each holds), by at least `expected` peers.
 * Per partition, not per segment: one answer per dataset, as cheap as `dataset show`.
 */
export function replicaHealth (detail: DatasetDetail, expected: number): ReplicaHealth {
  let healthy = 0
  for (const p of detail.partitions) {
    const copies = p.holders.reduce((n, h) => n + h.segments, 0)
    if (p.segments === 0 || (p.holders.length >= expected && copies >= expected * p.segments)) healthy++
  }
  return { expected, healthy, underReplicated: detail.partitions.length - healthy }
}

/** `12.3 MB`, `512 B`: decimal units, as `ls -h --si` and DuckDB print them. */
export function humanBytes (bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = bytes
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]!}`
}

/** The output of `meshflow datasets`: a JSON array, or a table (or `no datasets`). */
export function formatDatasets (entries: readonly DatasetListEntry[], json: boolean): string {
  if (json) {
    return JSON.stringify(entries.map(({ info: d, replicas }) => ({
      name: d.name,
      version: d.version,
      partitions: d.partitions,
      rows: d.rows,
      bytes: d.bytes,
      segments: d.segments,
      versions: d.versions,
      createdAt: d.createdAt,
      replicas: replicas ?? null
    }))) + '\n'
  }
  if (entries.length === 0) return 'no datasets\n'
  const sorted = [...entries].sort((a, b) => a.info.name.localeCompare(b.info.name))
  return formatTable(['NAME', 'VERSION', 'PARTITIONS', 'ROWS', 'BYTES', 'REPLICAS', 'UPDATED'], sorted.map(({ info: d, replicas: r }) => [
    d.name, String(d.version), String(d.partitions), String(d.rows), humanBytes(d.bytes),
    r === undefined ? 'unknown' : r.underReplicated === 0 ? `ok (${r.expected}x)` : `${r.underReplicated}/${d.partitions} under ${r.expected}x`,
    utcTime(d.createdAt)
  ]))
}

/** The output of `meshflow dataset show`: the detail as JSON, or a summary with tables. */
export function formatDatasetDetail (d: DatasetDetail, replicas: ReplicaHealth, json: boolean): string {
  if (json) return JSON.stringify({ ...d, replicas }) + '\n'
  const p = d.partitioning
  const partitioning = p.kind === 'hash' ? `hash on '${p.column}' into ${p.partitions} partitions` : `round-robin into ${p.partitions} partitions`
  let text = `dataset ${d.name} version ${d.version}: ${d.rows} rows, ${humanBytes(d.bytes)}, ${partitioning}\n`
  text += `schema: ${d.schema.columns.map(c => `${c.name} ${c.type}`).join(', ')}\n\n`
  text += formatTable(['VERSION', 'ROWS', 'BYTES', 'CREATED', 'PINNED'],
    [...d.versions].reverse().map(v => [String(v.version), String(v.rows), humanBytes(v.bytes), utcTime(v.createdAt), v.pinned ? 'yes' : '']))
  text += '\n'
  text += formatTable(['PARTITION', 'SEGMENTS', 'ROWS', 'BYTES', 'HOLDERS'],
    d.partitions.map(x => [String(x.partition), String(x.segments), String(x.rows), humanBytes(x.bytes),
      x.holders.length === 0 ? '-' : x.holders.map(h => h.segments === x.segments ? h.peer : `${h.peer} (${h.segments}/${x.segments})`).join(', ')]))
  text += `\nreplicas: ${replicas.healthy} of ${d.partitions.length} partitions with ${replicas.expected} ${replicas.expected === 1 ? 'copy' : 'copies'}\n`
  return text
}
