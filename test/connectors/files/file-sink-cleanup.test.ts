/**
 * FileSinkWriter's cleanup of stale hidden parts with real files: what a restored writer
 * removes once its own checkpoint completed, and what it never removes — the parts a
 * restored checkpoint names, its own parts, the parts of another job (also one whose id
 * starts the same) and of another sink of the same job in the same directory.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FINAL_CHECKPOINT_ID } from 'meshflow'
import { FileSinkWriter, type FileSinkCommittable, type PendingPart } from 'meshflow/connectors/files'
import { createRecordEncoder } from '../../../connectors/files/record-encoder.ts'
import { withTempDir } from './helpers.ts'

const test = suite('FileSinkWriter cleanup')

const JOB = 'abcdef01-job-one'

interface WriterOptions { job?: string, subtask?: number, parallelism?: number, operatorId?: string }

function writerIn (dir: string, o: WriterOptions = {}): FileSinkWriter<number> {
  return new FileSinkWriter<number>({
    dir,
    extension: 'jsonl',
    encoder: createRecordEncoder<number>('jsonl', {}),
    rollBytes: 1024,
    jobId: o.job ?? JOB,
    subtaskIndex: o.subtask ?? 0,
    parallelism: o.parallelism ?? 2,
    operatorId: o.operatorId ?? 'sink-op'
  })
}

const visible = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
const hiddenParts = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.') && !n.endsWith('.sink')).sort()
const allHidden = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.')).sort()
const partsOf = (cs: readonly FileSinkCommittable[]): PendingPart[] => cs.filter((c): c is PendingPart => !('cleanupBy' in c))

async function committed (dir: string): Promise<number[]> {
  const out: number[] = []
  for (const f of await visible(dir)) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as number)
  }
  return out.sort((a, b) => a - b)
}

test('a restored writer commits what the checkpoint names and removes the rest of the failed attempt once its own checkpoint completes', async () => {
  await withTempDir(async dir => {
    // attempt 1: checkpoint 1 completes but the task dies before committing it; checkpoint 2
    // is pre-committed and never completes; more is being written when it is killed
    const failed = writerIn(dir)
    await failed.write([1, 2])
    const checkpoint1 = await failed.prepareCommit(1)
    await failed.write([3])
    await failed.prepareCommit(2)
    await failed.write([4])
    assert.equal(await hiddenParts(dir), ['.part-abcdef01-0-1-0.jsonl.pending', '.part-abcdef01-0-2-0.jsonl.pending', failed.inProgressPath!.slice(dir.length + 1)].sort())
    // attempt 2 restores checkpoint 1: the restore commits its committables, including the
    // cleanup request of attempt 1, which is not this writer's and removes nothing
    const restored = writerIn(dir)
    await restored.commit(checkpoint1)
    assert.equal(await committed(dir), [1, 2])
    assert.equal(await hiddenParts(dir), ['.part-abcdef01-0-2-0.jsonl.pending', failed.inProgressPath!.slice(dir.length + 1)].sort())
    // the source replays from record 3; the coordinator hands out checkpoint id 2 again
    await restored.write([3, 4])
    const checkpoint2 = await restored.prepareCommit(2)
    assert.equal(partsOf(checkpoint2).map(p => p.path), [join(dir, 'part-abcdef01-0-2-1.jsonl')])
    await restored.write([5])                     // in progress while checkpoint 2 completes
    await restored.commit(checkpoint2)
    assert.equal(await committed(dir), [1, 2, 3, 4])
    // attempt 1's parts are gone, attempt 2's own in-progress part is not
    assert.equal(await hiddenParts(dir), [restored.inProgressPath!.slice(dir.length + 1)])
    const end = await restored.prepareCommit(FINAL_CHECKPOINT_ID)
    await restored.commit(end)
    await restored.close()
    await failed.close()
    assert.equal(await committed(dir), [1, 2, 3, 4, 5])
    assert.equal(await allHidden(dir), [], 'nothing hidden is left at the end')
  })
})

test('keeps the parts it pre-committed for checkpoints that have not completed yet', async () => {
  await withTempDir(async dir => {
    await writeFile(join(dir, '.part-abcdef01-0-dead-0.jsonl.inprogress'), '99\n')
    const w = writerIn(dir)
    await w.write([1])
    const first = await w.prepareCommit(1)
    await w.write([2])
    const second = await w.prepareCommit(2)      // not completed when checkpoint 1 completes
    await w.commit(first)
    assert.equal(await hiddenParts(dir), ['.part-abcdef01-0-2-0.jsonl.pending'])
    await w.commit(second)
    await w.commit(await w.prepareCommit(FINAL_CHECKPOINT_ID))
    await w.close()
    assert.equal(await committed(dir), [1, 2])
    assert.equal(await allHidden(dir), [])
  })
})

test('subtasks clean concurrently, each its own names and those of subtasks that no longer exist', async () => {
  await withTempDir(async dir => {
    const stale = [0, 1, 2, 3, 4].flatMap(s => [`.part-abcdef01-${s}-dead-0.jsonl.inprogress`, `.part-abcdef01-${s}-9-0.jsonl.pending`])
    for (const name of stale) await writeFile(join(dir, name), '99\n')
    const writers = [writerIn(dir, { subtask: 0 }), writerIn(dir, { subtask: 1 })]
    const prepared = await Promise.all(writers.map(async (w, i) => { await w.write([i]); return await w.prepareCommit(10) }))
    await Promise.all(writers.map(async (w, i) => { await w.write([10 + i]) }))
    await Promise.all(writers.map(async (w, i) => { await w.commit(prepared[i]!) }))
    assert.equal(await hiddenParts(dir), writers.map(w => w.inProgressPath!.slice(dir.length + 1)).sort())
    await Promise.all(writers.map(async w => { await w.commit(await w.prepareCommit(FINAL_CHECKPOINT_ID)); await w.close() }))
    assert.equal(await committed(dir), [0, 1, 10, 11])
    assert.equal(await allHidden(dir), [])
  })
})

test('never touches the parts of another job, also one whose id starts the same', async () => {
  await withTempDir(async dir => {
    const otherJob = ['.part-99999999-0-dead-0.jsonl.inprogress', '.part-99999999-0-3-0.jsonl.pending']
    for (const name of otherJob) await writeFile(join(dir, name), '99\n')
    // a running job whose id has the same first 8 characters, writing subtask 0 too
    const twin = writerIn(dir, { job: 'abcdef01-job-two' })
    await twin.write([100])
    const twinPending = await twin.prepareCommit(5)
    await twin.write([101])
    const w = writerIn(dir)
    await w.write([1])
    await w.commit(await w.prepareCommit(1))
    await w.commit(await w.prepareCommit(FINAL_CHECKPOINT_ID))
    await w.close()
    assert.equal(await committed(dir), [1])
    // the twin's parts are intact and commit; so are the other job's
    assert.ok((await hiddenParts(dir)).includes(twin.inProgressPath!.slice(dir.length + 1)))
    await twin.commit(twinPending)
    await twin.commit(await twin.prepareCommit(FINAL_CHECKPOINT_ID))
    await twin.close()
    assert.equal(await committed(dir), [1, 100, 101])
    assert.equal(await hiddenParts(dir), otherJob.sort())
  })
})

test('never touches the parts of another sink of the same job writing into the same directory', async () => {
  await withTempDir(async dir => {
    const a = writerIn(dir, { operatorId: 'sink-a' })
    const b = writerIn(dir, { operatorId: 'sink-b' })
    await a.write([1])
    await b.write([2])
    const aFirst = await a.prepareCommit(1)
    const bFirst = await b.prepareCommit(1)
    await b.write([3])
    const bSecond = await b.prepareCommit(2)
    await b.write([4])
    await a.commit(aFirst)                         // a's checkpoint 1 completes first
    await a.commit(await a.prepareCommit(FINAL_CHECKPOINT_ID))
    await a.close()
    await b.commit(bFirst)
    await b.commit(bSecond)
    await b.commit(await b.prepareCommit(FINAL_CHECKPOINT_ID))
    await b.close()
    assert.equal(await committed(dir), [1, 2, 3, 4])
    assert.equal(await allHidden(dir), [])
  })
})

test.run()
