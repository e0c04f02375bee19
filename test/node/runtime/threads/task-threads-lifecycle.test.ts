/**
 * TaskThreads' lifecycle at its edges, without a job running: a pool stopped while a run
 * still lists its source's splits ends that run instead of leaving it pending for ever; a
 * warmed pool starts every thread and loads the modules it is given before any run.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy, type Source } from '../../../../node/index.ts'
import { TaskThreads } from '../../../../node/runtime/threads/task-threads.ts'
import { LocalChannelProvider } from '../../../../node/runtime/local-executor.ts'

const lifecycle = suite('TaskThreads lifecycle')

lifecycle('a pool stopped while a run lists its splits ends the run (it neither starts nor hangs)', async () => {
  let listing!: () => void
  let release!: () => void
  const listed = new Promise<void>(resolve => { listing = resolve })
  const slow: Source<number> = {
    bounded: true,
    createSplits: async () => {
      listing()
      await new Promise<void>(resolve => { release = resolve })
      return []
    },
    createReader: () => { throw new Error('no reader is made: the run never starts') }
  }
  const env = StreamEnvironment.create({ parallelism: 1 })
  env.fromSource(slow, WatermarkStrategy.noWatermarks<number>(), 'slow').sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) })
  const threads = new TaskThreads({ threads: 1 })
  const run = threads.run({
    module: new URL('./fixtures/threads-job.ts', import.meta.url).href,
    args: {},
    parallelism: 1,
    graph: env.getJobGraph(),
    jobId: 'job',
    jobName: 'slow-splits',
    batchSize: 1024,
    capacity: 4,
    channels: new LocalChannelProvider(),
    runsHere: () => true
  })
  await listed
  await threads.stop()
  release()
  try {
    await run
    assert.unreachable('the run should have ended with an error')
  } catch (err) {
    assert.match(String(err), /stopped/)
  }
})

lifecycle('warm starts every thread and loads the modules in each, before any run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'meshflow-warm-'))
  const threads = new TaskThreads({ threads: 2 })
  const before = process.env.MESHFLOW_TEST_WARM_DIR
  process.env.MESHFLOW_TEST_WARM_DIR = dir // a worker gets the environment it is created with
  try {
    threads.warm([new URL('./fixtures/warm-marker.ts', import.meta.url).href])
    const deadline = Date.now() + 60_000
    let loaded: string[] = []
    while (loaded.length < 2 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20))
      loaded = (await readdir(dir)).filter(f => f.startsWith('loaded-'))
    }
    assert.is(loaded.length, 2, `both threads loaded the module (${loaded.join(', ')})`)
  } finally {
    if (before === undefined) delete process.env.MESHFLOW_TEST_WARM_DIR
    else process.env.MESHFLOW_TEST_WARM_DIR = before
    await threads.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

lifecycle.run()
