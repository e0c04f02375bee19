/**
 * Subtasks on task threads: an embedded peer with two task threads runs job modules on
 * them, not on the main thread, with the same results as at p=1, the same errors, and the
 * same backpressure across threads as within one.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Peer } from '../../../../node/cluster/peer.ts'
import { THREAD_CAPACITY_FACTOR } from '../../../../node/runtime/threads/thread-channel-provider.ts'

const JOB = fileURLToPath(new URL('./fixtures/threads-job.ts', import.meta.url))

const threads = suite('TaskThreads')

/** Waits until `condition` holds (checked every 20 ms; a generous deadline, not a timing assertion). */
async function waitFor (condition: () => boolean, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs
  while (!condition()) {
    if (Date.now() > until) throw new Error('The condition did not hold in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

function lines (out: string): Record<string, unknown>[] {
  return readdirSync(out).filter(f => !f.startsWith('.'))
    .flatMap(f => readFileSync(join(out, f), 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as Record<string, unknown>))
}

async function withPeer (fn: (peer: Peer, dir: string) => Promise<void>, init: { taskCancelTimeoutMs?: number } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-threads-'))
  const peer = await Peer.start({ dataDir: join(dir, 'data'), embedded: true, threads: 2, ...init })
  try {
    await peer.mark('test')
    await fn(peer, dir)
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

threads('runs a job at p=4 on task threads with the output it has at p=1', async () => {
  await withPeer(async (peer, dir) => {
    const results: Record<number, Record<string, unknown>[]> = {}
    for (const p of [1, 4]) {
      const out = join(dir, `p${p}`)
      const handle = await peer.submit(JOB, { parallelism: p, args: { mode: 'windows', count: '20000', out } })
      assert.equal(await handle.result(), { state: 'FINISHED', error: undefined })
      results[p] = lines(out)
    }
    const canonical = (rs: Record<string, unknown>[]): string[] => rs.map(r => `${String(r.key)}@${String(r.start)}=${String(r.n)}`).sort()
    assert.is(results[1]!.length, 13 * 200, 'a count per key and window')
    assert.equal(canonical(results[4]!), canonical(results[1]!))
    const used = new Set(results[4]!.map(r => r.thread))
    assert.not.ok(used.has(0), 'no window ran on the main thread')
    assert.is(used.size, 2, `the windows of p=4 ran on both task threads (${[...used].join(', ')})`)
  })
})

threads('a worker thread that throws fails the job naming the operator', async () => {
  await withPeer(async (peer, dir) => {
    const handle = await peer.submit(JOB, { parallelism: 2, args: { mode: 'throws', count: '2000', out: join(dir, 'out') } })
    const result = await handle.result()
    assert.is(result.state, 'FAILED')
    assert.match(result.error ?? '', /exploding-map/)
    assert.match(result.error ?? '', /record 500 is poison/)
    // the peer and its threads are fine: the next job runs
    const next = await peer.submit(JOB, { parallelism: 2, args: { mode: 'windows', count: '1000', out: join(dir, 'next') } })
    assert.equal(await next.result(), { state: 'FINISHED', error: undefined })
  })
})

threads('a task thread that exits fails its job, and the next job gets a new thread', async () => {
  await withPeer(async (peer, dir) => {
    const handle = await peer.submit(JOB, { parallelism: 2, args: { mode: 'exit', count: '2000', out: join(dir, 'out') } })
    const result = await handle.result()
    assert.is(result.state, 'FAILED')
    assert.match(result.error ?? '', /task thread .*exited with code 7/i)
    const next = await peer.submit(JOB, { parallelism: 2, args: { mode: 'windows', count: '1000', out: join(dir, 'next') } })
    assert.equal(await next.result(), { state: 'FINISHED', error: undefined })
    assert.is(new Set(lines(join(dir, 'next')).map(r => r.thread)).size, 2, 'both threads ran the next job')
  })
})

threads('a job stuck in an operator\'s loop is cancelled: its thread is terminated after the cancellation timeout, and the next job runs', async () => {
  await withPeer(async (peer, dir) => {
    const handle = await peer.submit(JOB, { parallelism: 1, args: { mode: 'stuck', count: '2000', out: join(dir, 'out') } })
    // wait until the operator is stuck (on a task thread: the main thread still answers)
    await waitFor(() => existsSync(join(dir, 'out', 'stuck')))
    assert.is.not(readFileSync(join(dir, 'out', 'stuck'), 'utf8'), '0')
    assert.is(await handle.cancel(), 'CANCELED')
    // its subtasks never see the cancellation: they end when the watchdog terminates their thread
    await waitFor(() => !peer.jobService.runningHere().includes(handle.id))
    const next = await peer.submit(JOB, { parallelism: 2, args: { mode: 'windows', count: '1000', out: join(dir, 'next') } })
    assert.equal(await next.result(), { state: 'FINISHED', error: undefined })
  }, { taskCancelTimeoutMs: 500 })
})

threads('a record that cannot cross to another thread fails the job saying so, not as a cancellation', async () => {
  await withPeer(async (peer, dir) => {
    const handle = await peer.submit(JOB, { parallelism: 2, args: { mode: 'uncloneable', count: '5000', out: join(dir, 'out') } })
    const result = await handle.result()
    assert.is(result.state, 'FAILED')
    assert.match(result.error ?? '', /A record could not be sent to another task thread: .*could not be cloned.*plain data/)
  })
})

threads('a slow consumer on another thread backpressures the source (bounded buffers)', async () => {
  await withPeer(async (peer, dir) => {
    const out = join(dir, 'out')
    const count = 100_000
    const handle = await peer.submit(JOB, { parallelism: 2, args: { mode: 'backpressure', count: String(count), out } })
    assert.equal(await handle.result(), { state: 'FINISHED', error: undefined })
    const { taken, ahead } = JSON.parse(readFileSync(join(out, 'result-0'), 'utf8')) as { taken: number, ahead: number }
    assert.is(taken, count)
    // each source made 50,000 records; without credits across threads one would run ~50,000 ahead.
    // With them it runs ahead by what the channel holds (capacity 4 x THREAD_CAPACITY_FACTOR
    // elements of at most 1,024 records), the batch being filled and the one the sink writes,
    // and the 256 records between its looks at the count
    const bound = 4 * THREAD_CAPACITY_FACTOR * 1024 + 2 * 1024 + 256
    assert.ok(ahead <= bound, `a source ran ${ahead} records ahead of the sink (bound ${bound})`)
  })
})

threads.run()
