/**
 * TaskThreads' lifecycle at its edges, without a job running: a pool stopped while a run
 * still lists its source's splits ends that run instead of leaving it pending for ever.
 */
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

lifecycle.run()
