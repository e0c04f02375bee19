/**
 * A small, strict command-line parser (no dependency): flags are declared up front, and
 * anything else — an unknown flag, a missing or invalid value, a flag given twice — is a
 * UsageError naming the flag. Values come as `--flag value` or `--flag=value`; `--` ends
 * the flags and everything after it is returned untouched as `rest`.
 *
 * @example
 * const { positionals, flags, rest } = parseArgs(['job.ts', '-p', '4', '--', '--count', '10'], {
 *   parallelism: { type: 'int', alias: 'p' }
 * }, { command: 'run', rest: true })
 * // positionals ['job.ts'], flags { parallelism: 4 }, rest ['--count', '10']
 */
import { UsageError } from './errors.ts'

/** `int` is a positive integer; `boolean` takes no value. */
export type FlagType = 'string' | 'int' | 'boolean'

export interface FlagSpec {
  readonly type: FlagType
  /** May be given more than once: the values are collected into an array. */
  readonly multiple?: boolean
  /** A one-letter short form (`-p`). */
  readonly alias?: string
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>
export type FlagValue = string | number | boolean | string[]

export interface ParsedArgs {
  readonly positionals: string[]
  readonly flags: Readonly<Record<string, FlagValue>>
  /** Everything after `--`; `undefined` when there was no `--`. */
  readonly rest: string[] | undefined
}

export interface ParseOptions {
  /** Names the command in error messages. */
  readonly command: string
  /** Whether `--` and arguments after it are allowed. */
  readonly rest?: boolean
}

const POSITIVE_INT = /^[1-9][0-9]*$/

function convert (flag: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'int') {
    if (!POSITIVE_INT.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`${flag} needs a positive integer, got '${raw}'`)
    return Number(raw)
  }
  if (raw.length === 0) throw new UsageError(`${flag} needs a non-empty value`)
  return raw
}

/** Parses `argv` against `specs`; throws a UsageError naming the offending flag. */
export function parseArgs (argv: readonly string[], specs: FlagSpecs, options: ParseOptions): ParsedArgs {
  const byAlias = new Map<string, string>()
  for (const [name, spec] of Object.entries(specs)) if (spec.alias !== undefined) byAlias.set(spec.alias, name)

  const positionals: string[] = []
  const flags: Record<string, FlagValue> = Object.create(null)
  let rest: string[] | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      if (options.rest !== true) throw new UsageError(`'${options.command}' takes no arguments after --`)
      rest = argv.slice(i + 1)
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const written = eq === -1 ? arg : arg.slice(0, eq)
    let name: string | undefined
    if (written.startsWith('--')) name = written.slice(2)
    else if (written.length === 2) name = byAlias.get(written.slice(1))
    const spec = name === undefined ? undefined : specs[name]
    if (name === undefined || spec === undefined || !Object.hasOwn(specs, name)) {
      throw new UsageError(`Unknown flag ${written} for '${options.command}' (see meshflow ${options.command} --help)`)
    }
    const flag = `--${name}`
    let value: string | number | boolean
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`${flag} takes no value, got '${arg.slice(eq + 1)}'`)
      value = true
    } else if (eq !== -1) {
      value = convert(flag, spec, arg.slice(eq + 1))
    } else {
      const next = argv[i + 1]
      if (next === undefined || next === '--' || (next.startsWith('-') && next.length > 1 && !/^-[0-9]/.test(next))) {
        throw new UsageError(`${flag} needs a value`)
      }
      value = convert(flag, spec, next)
      i++
    }
    if (spec.multiple === true) {
      const list = (flags[name] as string[] | undefined) ?? []
      list.push(String(value))
      flags[name] = list
    } else {
      if (Object.hasOwn(flags, name)) throw new UsageError(`${flag} is given more than once`)
      flags[name] = value
    }
  }
  return { positionals, flags, rest }
}
