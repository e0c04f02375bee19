/**
 * Runs the real `meshflow` executable (node/cli/bin.ts) as a separate OS process from the
 * repository root, and resolves with its exit code and output.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = fileURLToPath(new URL('../../node/cli/bin.ts', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliRun {
  readonly child: ChildProcess
  readonly done: Promise<CliResult>
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string): Promise<void>
  /** What the process printed on stdout so far. */
  stdoutSoFar(): string
  /** What the process printed on stderr so far. */
  stderrSoFar(): string
}

/**
 * Starts `meshflow ...args` in `cwd` (default the repository root); `env` is added to (and
 * overrides) this process's environment. An embedded run keeps its store in a fresh
 * temporary folder (removed when the process ends) unless `env` names MESHFLOW_DATA_DIR.
 */
export function startCli (args: readonly string[], env: Record<string, string | undefined> = {}, cwd = ROOT): CliRun {
  const scratch = 'MESHFLOW_DATA_DIR' in env ? undefined : mkdtempSync(join(tmpdir(), 'meshflow-cli-'))
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, MESHFLOW_DEBUG: undefined, MESHFLOW_MESH: undefined, MESHFLOW_DATA_DIR: scratch, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  const waiters: { text: string, resolve: () => void }[] = []
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    for (const w of waiters.splice(0)) {
      if (stdout.includes(w.text)) w.resolve()
      else waiters.push(w)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr })
    })
  })
  return {
    child,
    done,
    waitForStdout: text => new Promise<void>(resolve => {
      if (stdout.includes(text)) resolve()
      else waiters.push({ text, resolve })
    }),
    stdoutSoFar: () => stdout,
    stderrSoFar: () => stderr
  }
}

/** Runs `meshflow ...args` to the end. */
export async function runCli (args: readonly string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Promise<CliResult> {
  return await startCli(args, env, cwd).done
}
