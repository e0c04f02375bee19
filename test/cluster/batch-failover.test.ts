// Region failover of a batch job across `meshflow node` processes (issue 12): a 3-peer mesh
// (2 slots each) holds datasets a and b; a batch job joins them with a shuffle. While the
// join stage runs (the scans finished, their results are replicated blocks), a peer running
// a join region is SIGKILLed. The job completes with the exact rows, and only the regions
// that were running on that peer ran again — asserted from `jobs --json`.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow, until } from './local-mesh.ts'

const test = suite('batch region failover (processes)')
const WRITE = 'test/cluster/fixtures/locality-job.ts'
const JOIN = 'test/cluster/fixtures/batch-join-job.ts'

interface BatchJson { stages: { total: number, done: number, running: number }, regions: { total: number, done: number, running: number }, reruns: number, recordsRead: number, recordsWritten: number }
interface JobJson { id: string, name: string, state: string, tasks: { vertex: string, subtask: number, peer: string }[], batch?: BatchJson }

function readLines (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => !f.startsWith('.')).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(l => l.length > 0)).sort()
}

async function jobsJson (via: string): Promise<JobJson[]> {
  const r = await runMeshflow(['jobs', '--mesh', via, '--json'])
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as JobJson[]
}

test('a peer killed in the middle of the join stage: exact rows, only its regions run again', async () => {
  await bounded('batch failover across processes', 420_000, async () => {
    const mesh = await LocalMesh.start(3, { args: ['--slots', '2'] })
    try {
      const leader = await mesh.agreedLeader(30_000, 3)
      const via = leader.address
      for (const args of [['--name', 'a', '--rows', '3000', '--mod', '50', '--col', 'v'], ['--name', 'b', '--rows', '600', '--mod', '60', '--col', 'w']]) {
        const r = await runMeshflow(['run', WRITE, '--mesh', via, '--parallelism', '1', '--', '--mode', 'write', '--partitions', '3', ...args], { timeoutMs: 120_000 })
        assert.is(r.code, 0, r.stderr)
      }
      const gate = join(mesh.dir, 'gate')
      const marks = join(mesh.dir, 'marks')
      const out = join(mesh.dir, 'out')
      const running = runMeshflow(['run', JOIN, '--mesh', via, '--parallelism', '3', '--', '--gate', gate, '--marks', marks, '--out', out], { timeoutMs: 360_000 })
      const marked = (): string[] => existsSync(marks) ? readdirSync(marks) : []
      // all three join regions hold at the gate: the scans are done (on a timeout, say what the mesh and the run said)
      let ended: string | undefined
      void running.then(r => { ended = `meshflow run exited ${String(r.code)}: ${r.stderr}` })
      await until('the join regions to start', 180_000, () => marked().length >= 3 || ended !== undefined).catch(async (err: Error) => {
        throw new Error(`${err.message}; marks ${marked().join(', ')}; jobs ${JSON.stringify(await jobsJson(via).catch(() => []))}`)
      })
      assert.is(ended, undefined, 'the join job is still running at the gate')
      const job = (await jobsJson(via)).find(j => j.name === 'batch-join-job' && j.state === 'RUNNING')
      assert.ok(job?.batch !== undefined, 'the join job runs in batch mode')
      const scansDone = job.batch.stages.done
      assert.ok(scansDone >= 2, `the scan stages finished before the join: ${JSON.stringify(job.batch)}`)
      const pidOf = (n: typeof mesh.nodes[number]): string => String(n.child.pid)
      const victim = mesh.nodes.find(n => n !== leader && marked().some(m => m.startsWith(`${pidOf(n)}-`)))
      assert.ok(victim !== undefined, `a peer other than the leader runs a join region (marks ${marked().join(', ')})`)
      const lostRegions = marked().filter(m => m.startsWith(`${pidOf(victim)}-`)).length
      victim.kill('SIGKILL')
      await victim.exited
      // the regions that ran there are deployed again elsewhere
      await until('the lost regions to run again', 120_000, async () => ((await jobsJson(via)).find(j => j.id === job.id)?.batch?.reruns ?? 0) >= lostRegions)
      writeFileSync(gate, '')
      const r = await running
      assert.is(r.code, 0, r.stderr)

      const a = Array.from({ length: 3000 }, (_, i) => ({ k: `k${i % 50}`, v: i }))
      const b = Array.from({ length: 600 }, (_, i) => ({ k: `k${i % 60}`, w: i }))
      const direct = a.flatMap(x => b.filter(y => y.k === x.k).map(y => JSON.stringify({ k: x.k, v: x.v, w: y.w }))).sort()
      assert.equal(readLines(out), direct, 'exact rows: none lost, none twice')
      const done = (await jobsJson(via)).find(j => j.id === job.id)!
      assert.is(done.state, 'FINISHED')
      assert.is(done.batch!.reruns, lostRegions, `only the ${lostRegions} region(s) running on the killed peer ran again`)
      assert.ok(done.batch!.reruns < done.batch!.regions.total, `fewer re-runs (${done.batch!.reruns}) than regions (${done.batch!.regions.total})`)
      assert.is(done.batch!.regions.done, done.batch!.regions.total)
      assert.is(done.batch!.recordsRead, 3600, 'the scans read each row once: they did not run again')
    } finally {
      await mesh.close()
    }
  })
})

test.run()
