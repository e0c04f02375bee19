/**
 * A streaming SQL `INSERT INTO` a files table (exactly-once) as a job module
 * (fixtures/sql-insert-job.ts: CREATE TABLE … datagen; CREATE TABLE … files; INSERT INTO …
 * SELECT … FROM TABLE(TUMBLE(…)) GROUP BY …) on a mesh of three `meshflow node` processes at
 * parallelism 3, with a TaskManager running its tasks SIGKILLed once a checkpoint has
 * completed and some windows are committed. The job restores the checkpoint on the live
 * peers and finishes (its datagen source is bounded); the committed output holds every
 * window of every key exactly once, with the counts and sums of the input.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LocalMesh, bounded, jobOf, runMeshflow, until, type JobJson } from '../../../cluster/local-mesh.ts'
import type { NodeProcess } from '../../../cluster/node-process.ts'

const JOB = 'test/node/sql/streaming/fixtures/sql-insert-job.ts'
const T0 = Date.UTC(2026, 0, 1)
const ROWS = 30_000
const RATE = 2_000


interface Window { window_start: number, window_end: number, k: number, clicks: number, id_sum: number }

/** The committed (visible) records of the sink's directory. */
async function committed (dir: string): Promise<Window[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const out: Window[] = []
  for (const n of names.filter(x => !x.startsWith('.'))) {
    for (const line of (await readFile(join(dir, n), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as Window)
  }
  return out
}

/** The windows of ids 0..ROWS-1 at T0 + id ms: 1-second windows, keys id % 5. */
function expected (): Window[] {
  const out: Window[] = []
  for (let w = 0; w < ROWS / 1000; w++) {
    for (let k = 0; k < 5; k++) {
      let clicks = 0
      let sum = 0
      for (let id = w * 1000; id < (w + 1) * 1000; id++) if (id % 5 === k) { clicks++; sum += id }
      out.push({ window_start: T0 + w * 1000, window_end: T0 + (w + 1) * 1000, k, clicks, id_sum: sum })
    }
  }
  return out
}

const key = (w: Window): string => `${w.window_start}/${w.k}`

const test = suite('streaming SQL INSERT INTO survives a TaskManager SIGKILL (processes)')

test('INSERT INTO a files table: a TaskManager SIGKILLed mid-job, every window committed exactly once', async () => {
  await bounded('sql insert kill', 240_000, async () => {
    const mesh = await LocalMesh.start(3)
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const out = join(mesh.dir, 'out')
      const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--parallelism', '3', '--detach', '--',
        '--out', out, '--rows', String(ROWS), '--rate', String(RATE), '--interval', '300'], { timeoutMs: 60_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      const via = (): NodeProcess => mesh.live.find(n => n.isLeader) ?? mesh.live[0]!

      // a completed checkpoint and some committed windows, but not all: kill a TaskManager running tasks
      let running: JobJson | undefined
      let before = 0
      await until('a completed checkpoint and committed windows', 90_000, async () => {
        running = await jobOf(via(), id).catch(() => undefined)
        if (running?.state === 'FAILED' || running?.state === 'FINISHED') throw new Error(`The job ended before the kill: ${JSON.stringify(running)}`)
        before = (await committed(out)).length
        return running?.state === 'RUNNING' && (running.checkpoints?.completed ?? 0) >= 1 && before > 0
      })
      const withTasks = new Set(running!.tasks.map(t => t.peer))
      const victim = mesh.live.find(n => n !== leader && withTasks.has(n.id))
      assert.ok(victim !== undefined, `a TaskManager other than the JobManager runs tasks: ${JSON.stringify(running!.tasks)}`)
      const restartsBefore = running!.restarts
      victim.kill('SIGKILL')
      await victim.exited
      assert.ok(before < expected().length, `the kill came before the last window was committed (${before} committed)`)

      let last: JobJson | undefined
      await until('the job to finish after the kill', 150_000, async () => {
        last = await jobOf(via(), id).catch(() => undefined) ?? last
        if (last?.state === 'FAILED') throw new Error(`The job failed: ${last.error ?? '?'}`)
        return last?.state === 'FINISHED'
      })
      assert.ok(last!.restarts > restartsBefore, `the job restarted (restarts ${last!.restarts})`)
      assert.ok(last!.restoreHistory?.at(-1)?.checkpointId !== null, 'restored from a checkpoint, not from scratch')

      const got = await committed(out)
      const seen = new Map<string, number>()
      for (const w of got) seen.set(key(w), (seen.get(key(w)) ?? 0) + 1)
      const doubled = [...seen].filter(([, n]) => n > 1).map(([k]) => k)
      assert.equal(doubled, [], 'no window committed twice')
      const sort = (ws: Window[]): Window[] => [...ws].sort((a, b) => a.window_start - b.window_start || a.k - b.k)
      assert.equal(sort(got), expected(), 'every window once, with its count and sum')
      console.log(JSON.stringify({ test: 'sql-insert-kill', windows: got.length, committedAtKill: before, restarts: last!.restarts, checkpoints: last!.checkpoints?.completed, restores: last!.restoreHistory?.map(r => r.checkpointId) }))
    } finally {
      await mesh.close()
    }
  })
})

test.run()
