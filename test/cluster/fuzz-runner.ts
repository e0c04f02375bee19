/**
 * Runs test/cluster/fixtures/fuzzer.ts in its own process against a mesh (the protocol fuzz
 * test and the control benchmark share it).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './node-process.ts'

export interface FuzzSummary { frames: number, streams: number, aborted: number, answers: number, ms: number }

/** Runs the fuzzer process against `addresses`; resolves with its summary line. */
export function fuzz (frames: number, seed: number, addresses: readonly string[], ms: number): Promise<FuzzSummary> {
  const child = spawn(process.execPath, [join(ROOT, 'test/cluster/fixtures/fuzzer.ts'), String(frames), String(seed), ...addresses], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
  return new Promise((resolve, reject) => {
    child.on('close', code => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`The fuzzer exited ${code}: ${stderr}`))
      else resolve(JSON.parse(stdout.trim()))
    })
  })
}
