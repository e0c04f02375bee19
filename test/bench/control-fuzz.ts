/**
 * Benchmark (part of `npm run bench -- control`): 100,000 fuzzed frames (valid, mutated,
 * random, truncated, oversized; MESHFLOW_FUZZ_FRAMES) on every protocol of three `meshflow
 * node` processes over noise connections, then a checkpointed job. A robustness run more
 * than a speed one: it prints the fuzzer's frames per second, how many peers are still up,
 * their RSS before and after (the baseline: what the fuzzing cost them), and whether the
 * job afterwards finished with exact output.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalMesh, runMeshflow } from '../cluster/local-mesh.ts'
import { fuzz } from '../cluster/fuzz-runner.ts'
import { committedLines, expectedWindows } from '../cluster/fixtures/checkpointed-output.ts'

const FRAMES = Number(process.env.MESHFLOW_FUZZ_FRAMES ?? 100_000)

function rssMb (pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024)
}

const mesh = await LocalMesh.start(3)
try {
  await mesh.agreedLeader(30_000, 3)
  const before = mesh.nodes.map(n => rssMb(n.child.pid))
  const summary = await fuzz(FRAMES, 11, mesh.nodes.map(n => n.address), 1_800_000)
  const alive = mesh.nodes.filter(n => n.alive).length
  const after = mesh.nodes.filter(n => n.alive).map(n => rssMb(n.child.pid))
  const leader = await mesh.agreedLeader(60_000, 3)
  const out = join(mesh.dir, 'out')
  const count = 20_000
  const run = await runMeshflow(['run', 'test/cluster/fixtures/checkpointed-job.ts', '--mesh', leader.address, '--parallelism', '3', '--',
    '--out', out, '--count', String(count), '--rate', '20000', '--interval', '300'], { timeoutMs: 120_000 })
  const exact = JSON.stringify(committedLines(out)) === JSON.stringify(expectedWindows(count))
  process.stdout.write(JSON.stringify({
    bench: 'control', case: 'protocol-fuzz', frames: summary.frames, streams: summary.streams, answers: summary.answers, ms: summary.ms,
    framesPerSec: Math.round(summary.frames / summary.ms * 1000), peersAlive: alive, rssMbBefore: before, rssMbAfter: after,
    jobAfter: run.code === 0 ? 'FINISHED' : `exit ${run.code}`, exactOutput: exact
  }) + '\n')
  if (alive !== 3 || run.code !== 0 || !exact) process.exitCode = 1
} finally {
  await mesh.close()
}
