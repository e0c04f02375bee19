/**
 * The file sink's two-phase commit: FileSinkWriter's pre-commit and commit on their own,
 * and the fileSink driven through a SinkOperator across checkpoints, a failure and a
 * restore, checking that the committed output (the non-dot files) holds every record
 * exactly once.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FINAL_CHECKPOINT_ID } from 'meshflow'
import { fileSink, FileSinkWriter, type FileSinkCommittable, type PendingPart } from 'meshflow/connectors/files'
import { createRecordEncoder } from '../../../connectors/files/record-encoder.ts'
import { openSink, snapshot, writeBatch } from '../../node/runtime/operators/sink-driver.ts'
import { withTempDir } from './helpers.ts'

const visible = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
/** Hidden parts (without the writers' claims, see part-cleanup.ts). */
const hidden = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.') && !n.endsWith('.sink')).sort()
/** Every hidden file, claims too. */
const allHidden = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.')).sort()
/** The parts among committables (without cleanup requests). */
const partsOf = (cs: readonly FileSinkCommittable[]): PendingPart[] => cs.filter((c): c is PendingPart => !('cleanupBy' in c))

/** Every record of the committed output (the visible files), sorted. */
async function committed (dir: string): Promise<number[]> {
  const out: number[] = []
  for (const f of await visible(dir)) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as number)
  }
  return out.sort((a, b) => a - b)
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

function writerIn (dir: string, instanceId: string, rollBytes = 1024): FileSinkWriter<number> {
  return new FileSinkWriter<number>({ dir, extension: 'jsonl', encoder: createRecordEncoder<number>('jsonl', {}), rollBytes, jobId: 'abcdef0123456789', subtaskIndex: 2, instanceId })
}

const writer = suite('FileSinkWriter two-phase commit')

writer('names parts per checkpoint, hidden while pre-committed and visible once committed', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1', 8)
    await w.write([1, 2, 3, 4])                   // 8 bytes: rolls
    await w.write([5])
    assert.equal(await hidden(dir), ['.part-abcdef01-2-a1-0.jsonl.inprogress', '.part-abcdef01-2-a1-1.jsonl.inprogress'])
    const first = await w.prepareCommit(7)
    assert.equal(first.filter(c => 'cleanupBy' in c).length, 1, 'the first pre-commit asks for a cleanup')
    assert.equal(partsOf(first).map(p => [p.hiddenPath, p.path, p.bytes]), [
      [join(dir, '.part-abcdef01-2-7-0.jsonl.pending'), join(dir, 'part-abcdef01-2-7-0.jsonl'), 8],
      [join(dir, '.part-abcdef01-2-7-1.jsonl.pending'), join(dir, 'part-abcdef01-2-7-1.jsonl'), 2]
    ])
    assert.equal(await hidden(dir), ['.part-abcdef01-2-7-0.jsonl.pending', '.part-abcdef01-2-7-1.jsonl.pending'])
    await w.write([6])
    const second = await w.prepareCommit(8)
    assert.equal(second.map(c => (c as PendingPart).path), [join(dir, 'part-abcdef01-2-8-0.jsonl')])
    assert.equal(await w.prepareCommit(9), [])
    await w.write([7])
    const end = await w.prepareCommit(FINAL_CHECKPOINT_ID)
    assert.equal(partsOf(end).map(p => p.path), [join(dir, 'part-abcdef01-2-end-0.jsonl')])
    assert.equal(await visible(dir), [])
    await w.commit([...first, ...second, ...end])
    await w.close()
    assert.equal(await allHidden(dir), [], 'nothing hidden is left after the end of input, not even the claim')
    assert.equal(await visible(dir), ['part-abcdef01-2-7-0.jsonl', 'part-abcdef01-2-7-1.jsonl', 'part-abcdef01-2-8-0.jsonl', 'part-abcdef01-2-end-0.jsonl'])
    assert.equal(await committed(dir), range(1, 8))
  })
})

writer('gives a restarted attempt its own in-progress and pre-committed names', async () => {
  await withTempDir(async dir => {
    const failed = writerIn(dir, 'a1')
    await failed.write([1])
    await failed.prepareCommit(3)                 // checkpoint 3 never completes
    await failed.write([2])                       // the attempt dies without close
    const restarted = writerIn(dir, 'b2')
    await restarted.write([10])
    assert.is(restarted.inProgressPath, join(dir, '.part-abcdef01-2-b2-0.jsonl.inprogress'))
    // even if the coordinator hands out checkpoint id 3 again, the names do not collide
    const parts = await restarted.prepareCommit(3)
    assert.equal(partsOf(parts).map(p => p.hiddenPath), [join(dir, '.part-abcdef01-2-3-1.jsonl.pending')])
    assert.equal(await hidden(dir), ['.part-abcdef01-2-3-0.jsonl.pending', '.part-abcdef01-2-3-1.jsonl.pending', '.part-abcdef01-2-a1-1.jsonl.inprogress'])
    await restarted.commit(parts)
    await restarted.close()
    assert.equal(await visible(dir), ['part-abcdef01-2-3-1.jsonl'])
    assert.equal(await committed(dir), [10])
    // the failed attempt's parts were never committed; a checkpoint of the restarted
    // attempt completed, so they never will be: its commit removed them
    assert.equal(await hidden(dir), [])
    await failed.close()
  })
})

writer('commit is idempotent, also after a commit that stopped half way', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1', 1)
    await w.write([1])
    await w.write([2])
    const parts = partsOf(await w.prepareCommit(1))
    assert.is(parts.length, 2)
    await w.commit(parts.slice(0, 1))             // then the task failed
    const again = writerIn(dir, 'b2')
    await again.commit(parts)
    await again.commit(parts)
    assert.equal(await committed(dir), [1, 2])
    assert.equal(await hidden(dir), [])
  })
})

writer('fails the commit of a part that is gone, naming the file', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1')
    await w.write([1])
    const parts = partsOf(await w.prepareCommit(4))
    await rm(parts[0]!.hiddenPath)
    try {
      await w.commit(parts)
      assert.unreachable('the commit should fail')
    } catch (err) {
      assert.is((err as Error).name, 'PartFileMissingError')
      assert.match((err as Error).message, `Part file ${join(dir, 'part-abcdef01-2-4-0.jsonl')} cannot be committed`)
    }
  })
})

writer('refuses to overwrite a visible file of another writer', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1')
    await w.write([1])
    const parts = partsOf(await w.prepareCommit(4))
    await writeFile(parts[0]!.path, 'theirs\n')
    try {
      await w.commit(parts)
      assert.unreachable('the commit should fail')
    } catch (err) {
      assert.is((err as Error).name, 'PartFileExistsError')
    }
    assert.is(await readFile(parts[0]!.path, 'utf8'), 'theirs\n')
  })
})

writer('skips a pre-committed name whose visible file exists already', async () => {
  await withTempDir(async dir => {
    await writeFile(join(dir, 'part-abcdef01-2-5-0.jsonl'), '0\n')
    const w = writerIn(dir, 'a1')
    await w.write([1])
    const parts = partsOf(await w.prepareCommit(5))
    assert.equal(parts.map(p => p.path), [join(dir, 'part-abcdef01-2-5-1.jsonl')])
    await w.commit(parts)
    assert.equal(await committed(dir), [0, 1])
  })
})

writer('rejects a committable that is not a part', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1')
    for (const bad of [null, 'x', { path: 'p', bytes: 1 }, { hiddenPath: 'h', path: 'p', bytes: -1 }, { cleanupBy: 1, final: false }, { cleanupBy: 'x' }]) {
      try {
        await w.commit([bad])
        assert.unreachable('the commit should fail')
      } catch (err) {
        assert.is((err as Error).name, 'InvalidCommittableError')
      }
    }
  })
})

writer('close removes what was not pre-committed and keeps what was', async () => {
  await withTempDir(async dir => {
    const w = writerIn(dir, 'a1', 1)
    await w.write([1])
    const parts = await w.prepareCommit(1)
    await w.write([2])                            // rolled: closed, not pre-committed
    await w.close()
    assert.equal(await hidden(dir), ['.part-abcdef01-2-1-0.jsonl.pending'])
    await writerIn(dir, 'b2').commit(parts as readonly PendingPart[])
    assert.equal(await committed(dir), [1])
  })
})

const exactlyOnce = suite('fileSink exactly-once')

exactlyOnce('commits every record exactly once across a failure and a restore', async () => {
  await withTempDir(async dir => {
    const sink = fileSink<number>({ path: dir, format: 'jsonl', rollBytes: 16 })
    // attempt 1
    const first = await openSink(sink)
    await writeBatch(first, range(0, 5))
    await writeBatch(first, range(5, 10))
    const list1 = await snapshot(first, 1)
    await writeBatch(first, range(10, 20))
    const list2 = await snapshot(first, 2)
    await first.notifyCheckpointComplete(1)
    assert.equal(await committed(dir), range(0, 10))
    await writeBatch(first, range(20, 30))
    await snapshot(first, 3)                      // never completes
    await writeBatch(first, range(30, 35))
    assert.equal(await committed(dir), range(0, 10))
    // checkpoint 2 completed, but the task failed before it heard so
    await first.close()
    assert.equal(await committed(dir), range(0, 10))
    assert.ok(list1.length > 0)
    assert.equal(list2.map(t => (t as { checkpointId: number }).checkpointId).filter(id => id === 1).length, list1.length)
    // attempt 2 restores checkpoint 2 (same job id) and the source replays from record 20
    const second = await openSink(sink, { restore: { checkpointId: 2, list: list2 } })
    assert.equal(await committed(dir), range(0, 20))
    await writeBatch(second, range(20, 40))
    await snapshot(second, 4)
    await second.notifyCheckpointComplete(4)
    assert.equal(await committed(dir), range(0, 40))
    await writeBatch(second, range(40, 50))
    await second.finish()
    const finalList = await snapshot(second, FINAL_CHECKPOINT_ID)
    assert.ok(finalList.every(t => (t as { checkpointId: number }).checkpointId === FINAL_CHECKPOINT_ID))
    assert.equal(await committed(dir), range(0, 40))
    await second.notifyCheckpointComplete(FINAL_CHECKPOINT_ID)
    await second.close()
    assert.equal(await committed(dir), range(0, 50))
    const names = await visible(dir)
    assert.ok(names.every(n => /^part-abcdef01-0-(1|2|4|end)-\d+\.jsonl$/.test(n)), names.join(' '))
    // the pre-committed parts of checkpoint 3, which never completed, were removed once
    // checkpoint 4 of the second attempt completed; the claim went at the end of input
    assert.equal(await allHidden(dir), [])
  })
})

exactlyOnce('leaves nothing visible when no checkpoint completes', async () => {
  await withTempDir(async dir => {
    const op = await openSink(fileSink<number>({ path: dir, format: 'jsonl' }))
    await writeBatch(op, [1, 2])
    await snapshot(op, 1)
    await writeBatch(op, [3])
    await op.finish()
    await snapshot(op, FINAL_CHECKPOINT_ID)
    await op.close()
    assert.equal(await visible(dir), [])
    assert.equal(await hidden(dir), ['.part-abcdef01-0-1-0.jsonl.pending', '.part-abcdef01-0-end-0.jsonl.pending'])
  })
})

exactlyOnce('at the end of input makes the last parts visible only with the final checkpoint', async () => {
  await withTempDir(async dir => {
    const op = await openSink(fileSink<number>({ path: dir, format: 'jsonl' }))
    await writeBatch(op, [1, 2])
    await op.finish()
    assert.equal(await visible(dir), [])
    await snapshot(op, FINAL_CHECKPOINT_ID)
    assert.equal(await visible(dir), [])
    await op.notifyCheckpointComplete(FINAL_CHECKPOINT_ID)
    await op.close()
    assert.equal(await visible(dir), ['part-abcdef01-0-end-0.jsonl'])
    assert.equal(await committed(dir), [1, 2])
  })
})

exactlyOnce('without checkpointing commits on finish, as before', async () => {
  await withTempDir(async dir => {
    const op = await openSink(fileSink<number>({ path: dir, format: 'jsonl' }), { checkpointing: false })
    await writeBatch(op, [1, 2])
    assert.equal(await snapshot(op, 1), [])
    await op.notifyCheckpointComplete(1)
    assert.equal(await visible(dir), [])
    await writeBatch(op, [3])
    await op.finish()
    await op.close()
    assert.equal(await visible(dir), ['part-abcdef01-0-end-0.jsonl'])
    assert.equal(await hidden(dir), [])
    assert.equal(await committed(dir), [1, 2, 3])
  })
})

writer.run()
exactlyOnce.run()
