/**
 * The test command: runs every `*.test.ts` under test/ (each file in its own process,
 * two at a time), prints each file's output, and ends with the line `N passed, N failed`.
 * Exits non-zero when any test fails or a file crashes.
 *
 *   npm test                 all tests
 *   npm test -- windows      only files whose path contains "windows"
 *
 * Connector tests need their real systems (Kafka, RabbitMQ, kinesalite): the services the
 * selected files need are started in the background by test/services/up.sh (which installs
 * what is missing) while the other files run, those files run last, and the services this
 * run started are stopped at the end. `MESHFLOW_SERVICES=external` leaves them alone.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { availableParallelism } from 'node:os'

const root = new URL('.', import.meta.url).pathname
const filters = process.argv.slice(2)

function find (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) {
      if (name === 'bench' || name === 'fixtures' || name === 'services') continue
      out.push(...find(p))
    } else if (name.endsWith('.test.ts')) {
      out.push(p)
    }
  }
  return out
}

const SERVICES = ['kafka', 'rabbitmq', 'kinesis'] as const

/**
 * The services a test file needs: by its folder (test/connectors/kafka/…), or the
 * requireService calls in it and in the files it imports relatively (helpers, harnesses).
 */
function servicesOf (file: string): string[] {
  const path = relative(root, file)
  const text = readFileSync(file, 'utf8')
  let all = text
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)) {
    if (m[1]!.endsWith('services/services.ts')) continue // names every service in its examples
    try {
      all += readFileSync(join(file, '..', m[1]!), 'utf8')
    } catch {
      // a type-only or generated import: nothing to scan
    }
  }
  return SERVICES.filter(s => path.startsWith(`connectors/${s}/`) || all.includes(`requireService('${s}'`))
}

const selected = find(root).filter(f => filters.length === 0 || filters.some(x => f.includes(x)))
const needs = new Map(selected.map(f => [f, servicesOf(f)]))
// files that wait for a service run last, giving it time to start
const files = [...selected.filter(f => needs.get(f)!.length === 0), ...selected.filter(f => needs.get(f)!.length > 0)]
const wanted = [...new Set([...needs.values()].flat())]
const servicesDir = join(root, 'services')
const manageServices = wanted.length > 0 && process.env.MESHFLOW_SERVICES !== 'external'
/** Services that did not answer before this run: started here, stopped at the end. */
const startedHere = manageServices
  ? wanted.filter(s => spawnSync(join(servicesDir, `${s}.sh`), ['status'], { stdio: 'ignore' }).status !== 0)
  : []
let servicesUp: Promise<void> = Promise.resolve()
if (startedHere.length > 0) {
  process.stdout.write(`Starting test services in the background: ${startedHere.join(', ')} (test/services/up.sh)\n`)
  servicesUp = new Promise(resolve => {
    const child = spawn(join(servicesDir, 'up.sh'), startedHere, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', d => { output += String(d) })
    child.stderr.on('data', d => { output += String(d) })
    let reported = false
    const report = (code: number | null): void => {
      if (reported) return
      reported = true
      process.stdout.write(`\n${code === 0 ? 'Test services up' : `Test services failed to start (exit ${String(code)})`}:\n${output.replace(/^/gm, '    ')}\n`)
      resolve()
    }
    child.on('close', report)
    // a server that kept the script's stdout open would hold 'close' back forever
    child.on('exit', code => { setTimeout(() => report(code), 2_000).unref() })
  })
}
const concurrency = Number(process.env.MESHFLOW_TEST_CONCURRENCY ?? Math.min(2, availableParallelism()))
const timeoutMs = Number(process.env.MESHFLOW_TEST_TIMEOUT_MS ?? 300_000)

interface FileResult { file: string, passed: number, failed: number, skipped: number, ok: boolean, output: string, ms: number }

function runFile (file: string): Promise<FileResult> {
  const started = Date.now()
  return new Promise(resolve => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } })
    let output = ''
    child.stdout.on('data', d => { output += String(d) })
    child.stderr.on('data', d => { output += String(d) })
    const timer = setTimeout(() => {
      output += `\nTimed out after ${timeoutMs} ms: killed\n`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', code => {
      clearTimeout(timer)
      const num = (label: string): number => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? 0)
      const total = num('Total')
      const passed = num('Passed')
      const skipped = num('Skipped')
      // uvu's Total counts the tests that ran: skipped ones are not in it
      let failed = total - passed
      const ok = code === 0 && failed === 0 && total > 0
      if (!ok && failed === 0) failed = 1 // crashed, timed out or ran no test
      resolve({ file, passed, failed, skipped, ok, output, ms: Date.now() - started })
    })
  })
}

const results: FileResult[] = []
let next = 0
async function worker (): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!
    const r = await runFile(file)
    results.push(r)
    const name = relative(root, file)
    process.stdout.write(`\n${r.ok ? 'ok  ' : 'FAIL'} ${name} (${r.passed} passed, ${r.failed} failed, ${r.ms} ms)\n`)
    if (!r.ok || process.env.MESHFLOW_TEST_VERBOSE !== undefined) process.stdout.write(r.output.replace(/^/gm, '    ') + '\n')
  }
}
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
await servicesUp
if (startedHere.length > 0) spawnSync(join(servicesDir, 'down.sh'), startedHere, { stdio: 'inherit' })

const passed = results.reduce((n, r) => n + r.passed, 0)
const failed = results.reduce((n, r) => n + r.failed, 0)
const skipped = results.reduce((n, r) => n + r.skipped, 0)
if (files.length === 0) process.stdout.write('No test files matched\n')
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`)
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0
