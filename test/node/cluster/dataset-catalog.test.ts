/**
 * The dataset catalog as the registry applies it from the log: versions follow one another,
 * the last 5 are retained plus every version a running job reads, invalid or out-of-order
 * entries are skipped the same way everywhere without throwing, a drop releases every
 * version (but not one a running job reads), and the catalog survives a Raft snapshot —
 * while a registry without datasets still writes the version 1 snapshot older peers read.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobRegistry } from '../../../node/cluster/job-registry.ts'
import { decodeRegistrySnapshot, encodeRegistrySnapshot } from '../../../node/cluster/job-registry-snapshot.ts'
import { decodeCbor } from '../../../protocol/cbor.ts'
import { cidOf } from '../../../protocol/cid.ts'
import type { LogCommand } from '../../../protocol/log.ts'
import type { LogEntry } from '../../../protocol/raft.ts'

const test = suite('DatasetCatalog')

const cid = (s: string): string => cidOf(new TextEncoder().encode(s)).toString()
const commit = (name: string, version: number, over: Record<string, unknown> = {}): LogCommand => ({
  op: 'dataset-commit', name, version, cid: cid(`${name}-${version}`), rows: version * 10, bytes: version * 100, segments: version,
  partitioning: { kind: 'hash', column: 'store', partitions: 4 }, createdAt: 1000 + version, ...over
} as LogCommand)
const submit = (jobId: string, datasets: Record<string, number>): LogCommand => ({
  op: 'submit-job', jobId, name: jobId, codeCid: cid('code'), args: {}, parallelism: 1, maxParallelism: undefined, codeHolders: ['a'],
  attempt: 0, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }], submittedAt: 1, datasets
})

class Log {
  readonly registry = new JobRegistry()
  index = 0
  append (...commands: unknown[]): void {
    for (const command of commands) this.registry.apply({ index: ++this.index, term: 1, type: 'command', command } as unknown as LogEntry)
  }
}

const versionsOf = (log: Log, name: string): number[] => log.registry.datasets.dataset(name)?.versions.map(v => v.version) ?? []

test('commits versions in order and retains the last 5', () => {
  const log = new Log()
  for (let v = 1; v <= 8; v++) log.append(commit('sales', v))
  assert.equal(versionsOf(log, 'sales'), [4, 5, 6, 7, 8])
  assert.equal(log.registry.datasets.latest('sales'), { version: 8, cid: cid('sales-8'), rows: 80, bytes: 800, createdAt: 1008 })
  assert.is(log.registry.datasets.dataset('sales')?.segments, 8)
  assert.equal(log.registry.datasets.roots(), [4, 5, 6, 7, 8].map(v => cid(`sales-${v}`)))
  assert.is(log.registry.datasets.version('sales', 3), undefined)
})

test('a version a running job reads stays retained until the job ends, and a drop of it is skipped', () => {
  const log = new Log()
  log.append(commit('sales', 1), commit('sales', 2), submit('reader', { sales: 2 }))
  for (let v = 3; v <= 9; v++) log.append(commit('sales', v))
  assert.equal(versionsOf(log, 'sales'), [2, 5, 6, 7, 8, 9], 'version 2 is pinned by the running job')
  assert.equal([...log.registry.pinnedVersions('sales')], [2])
  log.append({ op: 'dataset-drop', name: 'sales' })
  assert.ok(log.registry.datasets.dataset('sales'), 'a drop of a dataset a running job reads is skipped')
  log.append({ op: 'job-state', jobId: 'reader', state: 'FINISHED' })
  assert.equal(versionsOf(log, 'sales'), [5, 6, 7, 8, 9], 'released once the job ended')
  log.append({ op: 'dataset-drop', name: 'sales' })
  assert.is(log.registry.datasets.dataset('sales'), undefined)
  assert.equal(log.registry.datasets.roots(), [])
  // the name is free again: a new dataset starts at version 1
  log.append(commit('sales', 1, { cid: cid('again') }))
  assert.equal(log.registry.datasets.latest('sales')?.cid, cid('again'))
})

test('invalid entries and versions out of order are skipped the same way, never thrown', () => {
  const a = new Log()
  const b = new Log()
  const entries: unknown[] = [
    commit('sales', 2), // not latest + 1
    commit('sales', 1),
    commit('sales', 1, { cid: cid('twin') }), // a concurrent commit of the same version loses
    commit('9bad', 1), // invalid name
    { ...commit('sales', 2), cid: 'not-a-cid' },
    { ...commit('sales', 2), rows: -1 },
    { ...commit('sales', 2), partitioning: { kind: 'hash', partitions: 2 } },
    { ...commit('sales', 2), extra: true },
    { op: 'dataset-drop', name: 'nope' },
    { op: 'dataset-drop' },
    null,
    commit('sales', 2, { partitioning: { kind: 'round-robin', partitions: 2 } })
  ]
  a.append(...entries)
  b.append(...entries)
  assert.equal(a.registry.snapshot(), b.registry.snapshot())
  assert.equal(versionsOf(a, 'sales'), [1, 2])
  assert.equal(a.registry.datasets.version('sales', 1)?.cid, cid('sales-1'))
  assert.equal(a.registry.datasets.dataset('sales')?.partitioning, { kind: 'round-robin', partitions: 2 })
  assert.is(a.registry.applied, entries.length)
})

test('a commit id seen recently makes a retried commit change nothing', () => {
  const log = new Log()
  log.append(commit('sales', 1, { commitId: 'sink-7/cp-1' }), commit('sales', 2, { commitId: 'sink-7/cp-1', cid: cid('retry') }), commit('sales', 2, { commitId: 'sink-7/cp-2' }))
  assert.equal(versionsOf(log, 'sales'), [1, 2])
  assert.is(log.registry.datasets.latest('sales')?.cid, cid('sales-2'))
  assert.equal(log.registry.datasets.committed('sales', 'sink-7/cp-1'), { id: 'sink-7/cp-1', version: 1, cid: cid('sales-1') })
  assert.is(log.registry.datasets.committed('sales', 'other'), undefined)
  for (let v = 3; v <= 80; v++) log.append(commit('sales', v, { commitId: `c${v}` }))
  assert.is(log.registry.datasets.dataset('sales')?.commits.length, 64, 'the last 64 commit ids are remembered')
  assert.is(log.registry.datasets.committed('sales', 'sink-7/cp-1'), undefined)
})

test('the catalog and the versions jobs read survive a snapshot round trip, then apply on the same', () => {
  const log = new Log()
  log.append(commit('sales', 1, { commitId: 'w-1' }), commit('stores', 1), commit('sales', 2), submit('reader', { sales: 1 }))
  for (let v = 3; v <= 7; v++) log.append(commit('sales', v))
  const bytes = encodeRegistrySnapshot(log.registry.snapshot())
  assert.is((decodeCbor('t', bytes) as { v: number }).v, 2)
  const restored = new JobRegistry()
  restored.restore(decodeRegistrySnapshot(bytes, log.index))
  assert.equal(restored.snapshot(), log.registry.snapshot())
  assert.equal(restored.datasets.dataset('sales')?.versions.map(v => v.version), [1, 3, 4, 5, 6, 7])
  assert.equal(restored.job('reader')?.datasets, { sales: 1 })
  assert.equal(restored.datasets.committed('sales', 'w-1')?.version, 1)
  // both go on alike
  const next: LogCommand[] = [{ op: 'job-state', jobId: 'reader', state: 'CANCELED' }, commit('sales', 8), { op: 'dataset-drop', name: 'stores' }]
  log.append(...next)
  next.forEach((command, i) => { restored.apply({ index: log.index - next.length + i + 1, term: 1, type: 'command', command } as unknown as LogEntry) })
  assert.equal(restored.snapshot(), log.registry.snapshot())
  assert.equal(restored.datasets.dataset('sales')?.versions.map(v => v.version), [4, 5, 6, 7, 8])
})

test('a registry without datasets writes a version 1 snapshot; a version 1 snapshot restores an empty catalog', () => {
  const log = new Log()
  log.append(submit('plain', {}))
  const plain = new Log()
  plain.append({ ...submit('plain', {}), datasets: undefined })
  const bytes = encodeRegistrySnapshot(plain.registry.snapshot())
  assert.is((decodeCbor('t', bytes) as { v: number }).v, 1)
  const restored = new JobRegistry()
  restored.apply({ index: 1, term: 1, type: 'command', command: commit('old', 1) } as unknown as LogEntry)
  restored.restore(decodeRegistrySnapshot(bytes))
  assert.equal(restored.datasets.datasets, [])
  assert.is(restored.job('plain')?.datasets, undefined)
})

test.run()
