import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobGraphs, type GraphSource } from '../../../node/cluster/job-graphs.ts'
import { defineJob } from '../../../node/api/job.ts'
import { StreamEnvironment } from '../../../node/api/stream-environment.ts'

const source: GraphSource = { id: 'job-1', name: 'report', codeCid: 'code', codeHolders: [], parallelism: 2, maxParallelism: undefined, args: {}, datasets: undefined }

const Graphs = suite('JobGraphs')

Graphs('answers a seeded job with the graph its submission was checked with, without building it again', async () => {
  let loads = 0
  const graphs = new JobGraphs({ loadJob: async () => { loads++; return defineJob(env => { env.fromCollection([1, 2]).print() }) } })
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection([1, 2]).print()
  const seeded = env.getJobGraph()
  graphs.seed(source.id, seeded)
  assert.is(await graphs.graphOf(source), seeded)
  assert.is(loads, 0)
  // once forgotten (the job ended, or was never recorded) it is built from the job's code
  graphs.forget(source.id)
  const built = await graphs.graphOf(source)
  assert.is(loads, 1)
  assert.is.not(built, seeded)
  assert.equal(built.vertices.map(v => v.id), seeded.vertices.map(v => v.id))
})

Graphs('keeps a graph it built over a later seed of the same job', async () => {
  const graphs = new JobGraphs({ loadJob: async () => defineJob(env => { env.fromCollection([1]).print() }) })
  const built = await graphs.graphOf(source)
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection([1]).print()
  graphs.seed(source.id, env.getJobGraph())
  assert.is(await graphs.graphOf(source), built)
})

Graphs.run()
