/**
 * The strict command-line parser of every `meshflow` command, on Node's own
 * `util.parseArgs`: flags are declared up front, and anything else — an unknown flag, a
 * missing or invalid value, a flag given twice — is a UsageError naming the flag. Values
 * come as `--flag value`, `--flag=value` or `-p4`; `--` ends the flags and everything
 * after it is returned untouched as `rest`.
 *
 * @example
 * const { positionals, flags, rest } = parseArgs(['job.ts', '-p', '4', '--', '--count', '10'], {
 *   parallelism: { type: 'int', alias: 'p' }
 * }, { command: 'run', rest: true })
 * // positionals ['job.ts'], flags { parallelism: 4 }, rest ['--count', '10']
 */
import { parseArgs as parseTokens } from 'node:util'
import { UsageError } from './errors.ts'

/** `int` is a positive integer, `count` zero or a positive integer; `boolean` takes no value. */
export type FlagType = 'string' | 'int' | 'count' | 'boolean'

/** How one flag is written and what it takes. */
export interface FlagSpec {
  readonly type: FlagType
  /** May be given more than once: the values are collected into an array. */
  readonly multiple?: boolean
  /** A one-letter short form (`-p`). */
  readonly alias?: string
}

/** The flags of one command, by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>
/** A parsed flag: `int` and `count` flags are numbers, `multiple` flags string arrays. */
export type FlagValue = string | number | boolean | string[]

/** What {@link parseArgs} found. */
export interface ParsedArgs {
  readonly positionals: string[]
  readonly flags: Readonly<Record<string, FlagValue>>
  /** Everything after `--`; `undefined` when there was no `--`. */
  readonly rest: string[] | undefined
}

/** Names the command in messages and says whether it takes arguments after `--`. */
export interface ParseOptions {
  /** Names the command in error messages. */
  readonly command: string
  /** Whether `--` and arguments after it are allowed. */
  readonly rest?: boolean
}

type NodeOptions = Record<string, { type: 'string' | 'boolean', short?: string }>

const POSITIVE_INT = /^[1-9][0-9]*$/
const COUNT = /^(0|[1-9][0-9]*)$/

function convert (flag: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'int') {
    if (!POSITIVE_INT.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`${flag} needs a positive integer, got '${raw}'`)
    return Number(raw)
  }
  if (spec.type === 'count') {
    if (!COUNT.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`${flag} needs 0 or a positive integer, got '${raw}'`)
    return Number(raw)
  }
  if (raw.length === 0) throw new UsageError(`${flag} needs a non-empty value`)
  return raw
}

/**
 * Whether a separate argument taken as a flag's value is really the next flag
 * (`--parallelism --json`): Node takes it, we say the value is missing. A negative
 * number (`-1`) stays a value, so an int flag can say it is not a positive integer.
 */
function looksLikeFlag (value: string): boolean {
  return value === '--' || (value.startsWith('-') && value.length > 1 && !/^-[0-9]/.test(value))
}

/**
 * Parses `argv` against `specs`; throws a UsageError naming the offending flag.
 *
 * Node's strict mode rejects the same command lines, but in its own words, without
 * naming the command, and it keeps the last of a repeated flag; so Node tokenises
 * (aliases, `=`, short groups, `--`) and the checks below, in argument order, say what
 * is wrong the way `meshflow` always has.
 */
export function parseArgs (argv: readonly string[], specs: FlagSpecs, options: ParseOptions): ParsedArgs {
  const nodeOptions: NodeOptions = Object.create(null)
  for (const [name, spec] of Object.entries(specs)) {
    nodeOptions[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.alias === undefined ? {} : { short: spec.alias }) }
  }
  const { tokens } = parseTokens({ args: [...argv], options: nodeOptions, strict: false, allowPositionals: true, tokens: true })

  const positionals: string[] = []
  const flags: Record<string, FlagValue> = Object.create(null)
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      if (options.rest !== true) throw new UsageError(`'${options.command}' takes no arguments after --`)
      return { positionals, flags, rest: argv.slice(token.index + 1) }
    }
    if (token.kind === 'positional') {
      positionals.push(token.value)
      continue
    }
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined
    if (spec === undefined) throw new UsageError(`Unknown flag ${token.rawName} for '${options.command}' (see meshflow ${options.command} --help)`)
    const flag = `--${token.name}`
    let value: string | number | boolean
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value, got '${token.value}'`)
      value = true
    } else {
      if (token.value === undefined || (token.inlineValue === false && looksLikeFlag(token.value))) throw new UsageError(`${flag} needs a value`)
      value = convert(flag, spec, token.value)
    }
    if (spec.multiple === true) {
      const list = (flags[token.name] as string[] | undefined) ?? []
      list.push(String(value))
      flags[token.name] = list
    } else {
      if (Object.hasOwn(flags, token.name)) throw new UsageError(`${flag} is given more than once`)
      flags[token.name] = value
    }
  }
  return { positionals, flags, rest: undefined }
}
