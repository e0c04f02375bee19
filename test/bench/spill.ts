/**
 * Benchmark: the memory target — "a 2 GB input with a 256 MiB task budget completes
 * (spilling) without any process passing 1 GiB RSS". One run of the bounded-memory job
 * (test/node/runtime/spill/fixtures/bounded-job.ts: generated rows of ~150 heap bytes each,
 * sorted and grouped at p=2 on the embedded runtime with `--task-memory`) in a child
 * process; this process samples the child's RSS (/proc) every 50 ms, so the peak is known
 * even when the child dies. One JSON line: rows, approximate input bytes, peak RSS, whether
 * it completed and met the target, and the child's own report when it finished.
 *
 * The child runs with a V8 heap limit derived from the memory configuration, as Flink
 * derives a TaskManager's -Xmx from its: the job's managed memory (task memory per slot x its
 * 2 slots, node/runtime/local-executor.ts TaskMemory) plus FRAMEWORK_HEAP_MB for the runtime.
 * Without one V8 lets garbage grow the heap far past what is live before a full GC (measured
 * at 14 M rows: at most ~190 MiB live after a forced GC, ~1 GB used, 1.2 GiB RSS).
 *
 *   npm run bench -- spill                                   (--rows=14000000: ~2 GB)
 *   npm run bench -- spill --rows=2000000 --task-memory=64m --heap-mb=512
 *   npm run bench -- spill --heap-mb=none                    (no heap limit)
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseMemorySize } from '../../node/runtime/spill/memory-size.ts'

const flag = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const ROWS = Number(flag('rows') ?? 14_000_000)
const TASK_MEMORY = flag('task-memory') ?? '256m'
/** Slots of the job (its parallelism). */
const SLOTS = 2
/** Heap for the runtime besides the operators' managed memory (Flink's framework heap). */
const FRAMEWORK_HEAP_MB = 128
/** The child's V8 heap limit (`--max-old-space-size`): given, derived (see above), or none. */
const HEAP_MB = flag('heap-mb') === 'none' ? undefined : flag('heap-mb') ?? String(Math.ceil(SLOTS * parseMemorySize('--task-memory', TASK_MEMORY) / 2 ** 20) + FRAMEWORK_HEAP_MB)
/** Heap bytes per generated row (see the fixture): what "2 GB input" counts. */
const ROW_BYTES = 150
const LIMIT_BYTES = 2 ** 30
const JOB = fileURLToPath(new URL('../node/runtime/spill/fixtures/bounded-job.ts', import.meta.url))

const rssOf = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) * 1024
  } catch {
    return 0
  }
}

const started = performance.now()
const child = spawn(process.execPath, [...(HEAP_MB === undefined ? [] : [`--max-old-space-size=${HEAP_MB}`]), JOB, '--rows', String(ROWS), '--task-memory', TASK_MEMORY], { stdio: ['ignore', 'pipe', 'pipe'] })
let peak = 0
const sampler = setInterval(() => { peak = Math.max(peak, rssOf(child.pid!)) }, 50)
let stdout = ''
let stderr = ''
child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
const code = await new Promise<number | null>(resolve => { child.on('close', resolve) })
clearInterval(sampler)
const report = code === 0 ? JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown> : undefined
process.stdout.write(JSON.stringify({
  bench: 'spill', rows: ROWS, inputBytes: ROWS * ROW_BYTES, taskMemory: TASK_MEMORY, heapLimitMb: HEAP_MB === undefined ? null : Number(HEAP_MB),
  processes: 1, peakRssMb: Math.round(peak / 2 ** 20), completed: code === 0, exitCode: code,
  seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  target: { rssMb: LIMIT_BYTES / 2 ** 20 }, meetsTarget: code === 0 && peak < LIMIT_BYTES,
  ...(report === undefined ? { error: stderr.split('\n').find(l => /error/i.test(l))?.slice(0, 200) ?? null } : { spilledMb: report.spilledMb, jobMs: report.ms }),
  loadavg: Number(loadavg()[0]!.toFixed(2))
}) + '\n')
