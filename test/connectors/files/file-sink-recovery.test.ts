/**
 * The exactly-once file sink in an embedded job that fails and restarts (the runtime's
 * restart from the latest checkpoint): the committed output is exact, and at the end no
 * hidden file of the job is left — neither those its failed attempts left nor those a
 * SIGKILLed attempt would have left (planted at each failure: in-progress parts of a dead
 * writer, pre-committed parts of checkpoints that never completed, a part of a subtask that
 * no longer exists) — while another job's hidden parts in the same directory are untouched.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, writeFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, WatermarkStrategy, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { fileSink } from 'meshflow/connectors/files'
import { withTempDir } from './helpers.ts'

const test = suite('fileSink recovery')

const COUNT = 6_000
const PARALLELISM = 2

async function committed (dir: string): Promise<number[]> {
  const out: number[] = []
  for (const f of (await readdir(dir)).filter(n => !n.startsWith('.'))) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as number)
  }
  return out.sort((a, b) => a - b)
}

const hidden = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(n => n.startsWith('.')).sort()

/**
 * Creates hidden `name` in `dir` unless it or its committed name exists: a real part is never
 * replaced, and (as a real writer) a pre-committed name is never one that was committed.
 */
function plant (dir: string, name: string, content: string): boolean {
  if (existsSync(join(dir, name.slice(1).replace(/\.pending$/, '')))) return false
  try {
    writeFileSync(join(dir, name), content, { flag: 'wx' })
    return true
  } catch {
    return false
  }
}

/** What a SIGKILLed attempt of job `jobId` leaves (records -1 that must never be committed). */
function plantLeftovers (dir: string, jobId: string, failure: number): number {
  const job = jobId.slice(0, 8)
  let planted = 0
  for (let s = 0; s < PARALLELISM + 2; s++) {
    // s >= PARALLELISM: a subtask of an earlier, larger parallelism
    if (plant(dir, `.part-${job}-${s}-dead000${failure}-0.jsonl.inprogress`, '-1\n')) planted++
    // pre-committed for checkpoints that never completed (ids a later attempt reuses, too)
    for (let c = 1; c <= 40; c += 3) if (plant(dir, `.part-${job}-${s}-${c}-0.jsonl.pending`, '-1\n')) planted++
  }
  // a name reserved and never filled
  if (plant(dir, `.part-${job}-0-end-9.jsonl.pending`, '')) planted++
  return planted
}

test('after three failures and restarts the output is exact and nothing hidden of the job is left', async () => {
  await withDir(async dir => {
    const otherJob = ['.part-99999999-0-dead0001-0.jsonl.inprogress', '.part-99999999-1-4-0.jsonl.pending']
    for (const name of otherJob) await writeFile(join(dir, name), '-2\n')
    let jobId: string | undefined
    const inner = fileSink<number>({ path: dir, format: 'jsonl', rollBytes: 2_048 })
    const sink: Sink<number> = {
      createWriter: context => {
        jobId = context.jobId
        return inner.createWriter(context)
      }
    }
    const failures = [1_200, 2_500, 4_000]
    let seen = 0
    let failed = 0
    let planted = 0
    const env = StreamEnvironment.create({ parallelism: PARALLELISM, checkpointIntervalMs: 40 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 10 })
    env.fromSource(datagen({ count: COUNT, generate: i => i, ratePerSec: 12_000 }), WatermarkStrategy.noWatermarks<number>(), 'numbers')
      .map(n => {
        if (failed < failures.length && ++seen >= failures[failed]!) {
          failed++
          planted += plantLeftovers(dir, jobId!, failed)
          throw new Error(`injected failure ${failed}`)
        }
        return n
      }).uid('maybe-fail')
      .sinkTo(sink)
    const result = await env.execute('file-sink-recovery')
    assert.is(failed, failures.length, 'every failure was injected')
    // a starved machine may add a restart of its own (a checkpoint that timed out); never fewer
    assert.ok((result.restarts ?? 0) >= failures.length, `restarts: ${String(result.restarts)}`)
    assert.ok(planted > 0, 'leftovers were planted')
    assert.equal(await committed(dir), Array.from({ length: COUNT }, (_, i) => i), 'every record exactly once, no planted record')
    assert.equal(await hidden(dir), otherJob, 'no hidden file of the job is left; the other job\'s are untouched')
  })
})

async function withDir (fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(fn)
}

test.run()
