/**
 * Spilling bounds memory: a spawned process (so the heap and RSS are its own) sorts and
 * groups 1 M rows (~200 MB held in memory) with a 16 MiB task budget under a V8 heap
 * limit of 192 MiB, and completes with the exact answer and an RSS under 600 MiB; the same
 * job without spilling (a 1 GiB budget) dies of heap exhaustion under that limit — so the
 * limit is one only spilling can meet. Then the same job under 96 MiB: what the operators
 * hold is bounded by task memory x slots, not x tasks. A correctness-of-bounding test, not
 * a timing test (generous bounds, no time limit but the harness's).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const Bounded = suite('spilling bounds memory')

const JOB = fileURLToPath(new URL('./fixtures/bounded-job.ts', import.meta.url))

function runJob (taskMemory: string, heapMb = 192): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, JOB, '--rows', '1000000', '--task-memory', taskMemory], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

Bounded('1 M rows sorted and grouped with a 16 MiB budget: exact results, heap limit 192 MiB, RSS under 600 MiB; without spilling the heap limit is passed', async () => {
  const spilling = await runJob('16m')
  assert.is(spilling.code, 0, spilling.stderr)
  const r = JSON.parse(spilling.stdout.trim().split('\n').at(-1)!) as { maxRssMb: number, spilledMb: number, sorted: [number, number][], inOrder: boolean, groups: number[] }
  assert.equal(r.groups, [1_000_000])
  assert.is(r.sorted[0]![0], 1_000_000)
  assert.ok(r.inOrder)
  assert.ok(r.spilledMb > 50, `spilled ${r.spilledMb} MiB`)
  assert.ok(r.maxRssMb < 600, `max RSS ${r.maxRssMb} MiB`)

  const inMemory = await runJob('1g')
  assert.is.not(inMemory.code, 0, 'the in-memory run cannot stay under the heap limit')
  assert.match(inMemory.stderr, /heap out of memory|heap limit/)
})

// The budget is a slot's (local-executor.ts TaskMemory): this job's four holding operators
// (two sort steps, a grouping, a reduction) over six tasks at p=2 share 16 MiB per slot, so
// what they hold is ~32 MiB whatever the input; measured with a forced GC every 500 ms: at
// most ~60 MiB live with the runtime itself. When each of the six tasks had the whole 16 MiB
// (and long strings were under-counted 1.5x) the same job held ~190 MiB live at 2 M rows and
// died under this limit.
Bounded('1 M rows sorted and grouped with 16 MiB per slot stay within task memory x parallelism: exact results under a 96 MiB heap limit', async () => {
  const tight = await runJob('16m', 96)
  assert.is(tight.code, 0, tight.stderr)
  const r = JSON.parse(tight.stdout.trim().split('\n').at(-1)!) as { spilledMb: number, sorted: [number, number][], inOrder: boolean, groups: number[] }
  assert.equal(r.groups, [1_000_000])
  assert.equal(r.sorted, [[1_000_000, 982_321]])
  assert.ok(r.inOrder)
  assert.ok(r.spilledMb > 50, `spilled ${r.spilledMb} MiB`)
})

Bounded.run()
