/**
 * Turns the arguments after `--` on `meshflow run` into the `args` object a job's
 * `build(env, args)` receives (DESIGN §3): `--key value` gives `{ key: 'value' }`,
 * `--key=value` too, and a bare `--flag` (last, or followed by another `--key`) gives
 * `'true'`. A value may start with a single dash (`--offset -5`). A stray positional or a
 * key given twice is a UsageError naming it.
 *
 * @example
 * parseJobArgs(['--count', '1000', '--verbose', '--out=out/x'])
 * // { count: '1000', verbose: 'true', out: 'out/x' }
 */
import type { JobArgs } from '../index.ts'
import { UsageError } from './errors.ts'

export function parseJobArgs (argv: readonly string[]): JobArgs {
  // a null prototype: keys such as 'constructor' or '__proto__' are plain entries
  const args: Record<string, string> = Object.create(null)
  const put = (key: string, value: string): void => {
    if (key.length === 0) throw new UsageError('A job argument needs a name after --: job arguments are --key value pairs')
    if (Object.hasOwn(args, key)) throw new UsageError(`Job argument --${key} is given more than once`)
    args[key] = value
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) {
      throw new UsageError(`Unexpected job argument '${arg}': job arguments are --key value pairs`)
    }
    const eq = arg.indexOf('=')
    if (eq !== -1) {
      put(arg.slice(2, eq), arg.slice(eq + 1))
      continue
    }
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) {
      put(arg.slice(2), 'true')
    } else {
      put(arg.slice(2), next)
      i++
    }
  }
  return args
}
