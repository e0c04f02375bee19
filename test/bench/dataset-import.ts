/**
 * Benchmark: `meshflow dataset import` of one generated CSV file (TPC-H `lineitem`-like
 * columns) on the embedded peer, through the real CLI, at p=1 and p=2 — at p=2 the file is
 * read in two byte ranges. The rate is the one the import prints (rows over the time from
 * submit to commit; the peer's start is left out), next to a baseline measured in the same
 * run: a plain loop that reads the file and converts every field (readFileSync, split,
 * Number, Date.parse), with no dataset written. Target (issue 12): ≥ 1 M rows/s from CSV.
 * The fixed cost of an import is measured on a 10-row file in the same run: `fixedSeconds`
 * (inside the printed time: submit to commit) and `fixedWallSeconds` (the whole command,
 * peer start included); `rowsPerSecPastFixed` is the rate without the fixed part.
 *
 *   npm run bench -- import          (MESHFLOW_BENCH_ROWS=1000000 by default)
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const N = Number(process.env.MESHFLOW_BENCH_ROWS ?? 1_000_000)
const BIN = fileURLToPath(new URL('../../node/cli/bin.ts', import.meta.url))
const SCHEMA = 'orderkey:number,partkey:number,quantity:number,extendedprice:number,discount:number,returnflag:string,shipdate:timestamp,shipmode:string'
const MODES = ['AIR', 'MAIL', 'RAIL', 'SHIP', 'TRUCK', 'REG AIR', 'FOB']

function generate (path: string): void {
  const parts: string[] = ['orderkey,partkey,quantity,extendedprice,discount,returnflag,shipdate,shipmode\n']
  const day = 86_400_000
  const base = Date.UTC(1992, 0, 1)
  for (let i = 0; i < N; i++) {
    const q = 1 + (i * 7) % 50
    parts.push(`${1 + (i >> 2)},${1 + (i * 7919) % 200_000},${q},${(q * 901.25).toFixed(2)},${((i % 11) / 100).toFixed(2)},${'ANR'[i % 3]!},${new Date(base + (i % 2500) * day).toISOString().slice(0, 10)},${MODES[i % 7]!}\n`)
  }
  writeFileSync(path, parts.join(''))
}

/** The plain baseline: every field converted, nothing kept. */
function plainLoop (path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n')
  let rows = 0
  let sum = 0
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!
    if (l.length === 0) continue
    const f = l.split(',')
    sum += Number(f[0]) + Number(f[1]) + Number(f[2]) + Number(f[3]) + Number(f[4]) + f[5]!.length + Date.parse(f[6]!) + f[7]!.length
    rows++
  }
  if (Number.isNaN(sum)) throw new Error('bad input')
  return rows
}

/** One `meshflow dataset import` of `file` into a fresh store: the seconds and rows/s it prints, and its wall time. */
function runImport (file: string, dataDir: string, p: number, rows: number): { seconds: number, rate: number, wallMs: number } {
  const started = performance.now()
  const r = spawnSync(process.execPath, [BIN, 'dataset', 'import', 'lineitem', file, '--format', 'csv', '--schema', SCHEMA, '--partitions', '4', '-p', String(p)], {
    env: { ...process.env, MESHFLOW_DATA_DIR: dataDir }, encoding: 'utf8'
  })
  const wallMs = performance.now() - started
  rmSync(dataDir, { recursive: true, force: true })
  if (r.status !== 0) throw new Error(`import at p=${p} failed: ${r.stderr}`)
  const m = /^imported (\d+) rows .* ([0-9.]+) s \((\d+) rows\/s\)/.exec(r.stdout)
  if (m === null || Number(m[1]) !== rows) throw new Error(`unexpected output: ${r.stdout}`)
  return { seconds: Number(m[2]), rate: Number(m[3]), wallMs }
}

const dir = mkdtempSync(join(tmpdir(), 'meshflow-bench-import-'))
try {
  const csv = join(dir, 'lineitem.csv')
  generate(csv)
  const bytes = statSync(csv).size
  const t0 = performance.now()
  const rows = plainLoop(csv)
  const plainMs = performance.now() - t0
  const plainRate = rows / (plainMs / 1000)
  // the fixed cost of an import (job submit to commit, and the whole command), from a 10-row file
  const tiny = join(dir, 'tiny.csv')
  writeFileSync(tiny, readFileSync(csv, 'utf8').split('\n').slice(0, 11).join('\n') + '\n')
  for (const p of [1, 2]) {
    const fixed = runImport(tiny, join(dir, `tiny-${p}`), p, 10)
    const { seconds, rate, wallMs } = runImport(csv, join(dir, `data-${p}`), p, N)
    process.stdout.write(JSON.stringify({
      bench: 'dataset-import', format: 'csv', rows: N, inputBytes: bytes, parallelism: p,
      rowsPerSec: rate, seconds, wallSeconds: Number((wallMs / 1000).toFixed(2)),
      fixedSeconds: fixed.seconds, fixedWallSeconds: Number((fixed.wallMs / 1000).toFixed(2)),
      rowsPerSecPastFixed: Math.round(N / Math.max(seconds - fixed.seconds, 1e-3)), loadavg: Number(loadavg()[0]!.toFixed(2)),
      plainJsRowsPerSec: Math.round(plainRate), ratioToPlainJs: Number((rate / plainRate).toFixed(2)),
      target: 1_000_000, meetsTarget: rate >= 1_000_000
    }) + '\n')
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
