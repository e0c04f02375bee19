#!/usr/bin/env node
/**
 * The `meshflow` executable. Enables Node's compile cache before loading the rest (so
 * later starts skip re-stripping the TypeScript), wires SIGINT/SIGTERM to cancel the
 * running command, and exits with the code `main` returns once stdout and stderr have
 * been flushed. A second interrupt exits at once.
 */
import module from 'node:module'

module.enableCompileCache?.()

const { main } = await import('./main.ts')
const { InterruptedError } = await import('./errors.ts')

const controller = new AbortController()
const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
  if (controller.signal.aborted) process.exit(new InterruptedError(signal).exitCode)
  controller.abort(new InterruptedError(signal))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal
})

// exit even if a job left a timer or socket behind, but only after the output is written
const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise(resolve => { stream.write('', () => { resolve() }) })
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit(code)
