import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sum } from '../../../node/index.ts'
import { Peer } from '../../../node/cluster/peer.ts'
import { defineJob } from '../../../node/api/job.ts'

const RegionRunner = suite('RegionRunner')

RegionRunner('builds a job once for all its regions on a peer, and runs each of them from that build', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-region-runner-'))
  const peer = await Peer.start({ dataDir: dir, embedded: true, slots: 4 })
  try {
    await peer.mark('test')
    let builds = 0
    const job = defineJob(env => {
      builds++
      env.setRuntimeMode('batch')
      const rows = Array.from({ length: 500 }, (_, i) => ({ k: `k${i % 7}`, v: i }))
      env.fromCollection(rows).toDataSet().map(r => r).groupBy('k').aggregate({ s: sum('v') }).map(r => r).collect()
    })
    const id = await peer.jobService.submitDefinition(job, { name: 'regions', parallelism: 4 })
    const ended = await peer.jobService.result(id)
    assert.equal({ state: ended.state, error: ended.error }, { state: 'FINISHED', error: undefined })
    const regions = peer.jobs().find(j => j.id === id)!.batch!.regions
    assert.is(regions.done, regions.total)
    assert.ok(regions.total >= 5, `the job has several regions: ${regions.total}`)
    // the JobManager's builds (submit, its graph) and one for the regions, however many they are
    assert.ok(builds < regions.total, `${builds} builds for ${regions.total} regions`)
  } finally {
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

RegionRunner.run()
