/**
 * Building blocks of the validating decoders. Each check either returns the value with its
 * precise type or throws a `MalformedMessageError` naming the protocol and the field path.
 * The decoders build their result from checked fields only, so a caller never sees a
 * half-valid message, an unexpected field, or an object with a foreign prototype.
 */
import { MAX_PEER_ID_LENGTH, MAX_VALUE_DEPTH } from './constants.ts'
import { MalformedMessageError } from './errors.ts'

/** A decoded CBOR map (record) whose fields have not been checked yet. */
export type WireObject = Readonly<Record<string, unknown>>

/** Throws a `MalformedMessageError` for `protocol` about `path`. */
export function fail (protocol: string, path: string, problem: string, options?: ErrorOptions): never {
  throw new MalformedMessageError(protocol, path, problem, options)
}

/** `parent.key`, or `key` at the top. */
export function at (parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  return parent === '' ? key : `${parent}.${key}`
}

/** A short description of a value for an error message (never its full content). */
export function describe (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'undefined': return 'undefined'
    case 'string': return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`
    case 'number': return `the number ${String(value)}`
    case 'bigint': {
      const digits = String(value)
      return digits.length > 40 ? `a bigint of ${digits.length} digits` : `the bigint ${digits}`
    }
    case 'boolean': return `the boolean ${String(value)}`
    case 'object': {
      if (Array.isArray(value)) return `an array of ${value.length}`
      if (value instanceof Uint8Array) return `a byte array of ${value.byteLength}`
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null
      if (proto === null || proto === Object.prototype) return 'an object'
      const name = proto.constructor?.name
      return typeof name === 'string' && name !== '' ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}` : 'an object with a foreign prototype'
    }
    default: return `a ${typeof value}`
  }
}

function isPlainObject (value: unknown): value is WireObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * A plain object, or a CBOR map with string keys as another encoder than ours writes it
 * (cbor-x decodes those to a `Map`), as a plain object; `undefined` for anything else.
 */
export function asWireObject (value: unknown): WireObject | undefined {
  if (isPlainObject(value)) return Object.getOwnPropertySymbols(value).length > 0 ? undefined : value
  if (value instanceof Map && Object.getPrototypeOf(value) === Map.prototype) {
    for (const key of value.keys()) if (typeof key !== 'string') return undefined
    // fromEntries defines own properties, so a '__proto__' key stays a key (and is then refused)
    return Object.fromEntries(value) as WireObject
  }
  return undefined
}

/** Reads an own field: inherited properties (`toString`, `constructor`) count as missing. */
export function field (o: WireObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined
}

/**
 * Checks that `value` is a map with string keys that all belong to `allowed`, and returns it
 * as a plain object.
 */
export function object (protocol: string, value: unknown, path: string, allowed: ReadonlySet<string>): WireObject {
  const o = asWireObject(value)
  if (value === undefined) fail(protocol, path, 'is missing')
  if (o === undefined) fail(protocol, path, `must be a map with string keys, got ${describe(value)}`)
  for (const key of Object.keys(o)) {
    if (!allowed.has(key)) fail(protocol, at(path, key), 'is not a field of this message')
  }
  return o
}

/** A non-negative safe integer no larger than `max`. */
export function uint (protocol: string, o: WireObject, key: string, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = field(o, key)
  if (v === undefined) fail(protocol, at(path, key), 'is missing')
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(protocol, at(path, key), `must be a non-negative integer, got ${describe(v)}`)
  }
  if (v > max) fail(protocol, at(path, key), `must be at most ${max}, got ${v}`)
  return v
}

/** A positive safe integer no larger than `max`. */
export function positiveInt (protocol: string, o: WireObject, key: string, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = uint(protocol, o, key, path, max)
  if (v === 0) fail(protocol, at(path, key), 'must be at least 1, got 0')
  return v
}

/** A number that is not NaN (timestamps: ±Infinity are meaningful, NaN is not). */
export function timestamp (protocol: string, value: unknown, path: string): number {
  if (value === undefined) fail(protocol, path, 'is missing')
  if (typeof value !== 'number' || Number.isNaN(value)) fail(protocol, path, `must be a number other than NaN, got ${describe(value)}`)
  return value
}

/** A boolean. */
export function bool (protocol: string, o: WireObject, key: string, path: string): boolean {
  const v = field(o, key)
  if (v === undefined) fail(protocol, at(path, key), 'is missing')
  if (typeof v !== 'boolean') fail(protocol, at(path, key), `must be a boolean, got ${describe(v)}`)
  return v
}

/** Constraints on a string field. */
export interface StringRule {
  readonly min?: number
  readonly max: number
  /** The whole string must match (anchor the pattern). */
  readonly pattern?: RegExp
  /** Says what `pattern` means, for the error message. */
  readonly expected?: string
}

/** Checks a string value against a rule. */
export function stringValue (protocol: string, v: unknown, path: string, rule: StringRule): string {
  if (v === undefined) fail(protocol, path, 'is missing')
  if (typeof v !== 'string') fail(protocol, path, `must be a string, got ${describe(v)}`)
  const min = rule.min ?? 0
  if (v.length < min) fail(protocol, path, min === 1 ? 'must not be empty' : `must have at least ${min} characters, got ${v.length}`)
  if (v.length > rule.max) fail(protocol, path, `must have at most ${rule.max} characters, got ${v.length}`)
  if (rule.pattern !== undefined && !rule.pattern.test(v)) fail(protocol, path, `must be ${rule.expected ?? `a string matching ${String(rule.pattern)}`}, got ${describe(v)}`)
  return v
}

/** A string field. */
export function string (protocol: string, o: WireObject, key: string, path: string, rule: StringRule): string {
  return stringValue(protocol, field(o, key), at(path, key), rule)
}

/** An array field of at most `max` elements (the elements are the caller's to check). */
export function array (protocol: string, o: WireObject, key: string, path: string, max: number): readonly unknown[] {
  const v = field(o, key)
  if (v === undefined) fail(protocol, at(path, key), 'is missing')
  if (!Array.isArray(v)) fail(protocol, at(path, key), `must be an array, got ${describe(v)}`)
  if (v.length > max) fail(protocol, at(path, key), `must have at most ${max} elements, got ${v.length}`)
  return v
}

/** One of a fixed set of strings. */
export function oneOf<T extends string> (protocol: string, o: WireObject, key: string, path: string, allowed: readonly T[]): T {
  const v = field(o, key)
  if (v === undefined) fail(protocol, at(path, key), 'is missing')
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(protocol, at(path, key), `must be one of ${allowed.map(a => `'${a}'`).join(', ')}, got ${describe(v)}`)
  }
  return v as T
}

/** Printable ASCII without spaces: peer ids, multiaddrs, versions. */
const PRINTABLE = /^[\x21-\x7e]*$/
/** Any characters but control characters (C0, DEL, C1). */
// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/

/** A libp2p peer id string: 1–128 printable ASCII characters. */
export const PEER_ID_RULE: StringRule = { min: 1, max: MAX_PEER_ID_LENGTH, pattern: PRINTABLE, expected: 'a peer id (printable ASCII)' }
/** Rule for printable-ASCII tokens of at most `max` characters. */
export function printable (max: number, min = 1): StringRule {
  return { min, max, pattern: PRINTABLE, expected: 'printable ASCII without spaces' }
}
/** Rule for names and texts without control characters. */
export function text (max: number, min = 0): StringRule {
  return { min, max, pattern: NO_CONTROL, expected: 'text without control characters' }
}

/** How many more containers a message's values may hold; see `plainData`. */
export interface Budget { left: number }

/**
 * Checks that `value` is plain data, what a record or a Raft command may be: null,
 * undefined, booleans, numbers, bigints, strings, byte and typed arrays, Dates, arrays,
 * plain objects, Maps and Sets, nested at most `MAX_VALUE_DEPTH` deep. Errors, RegExps,
 * cbor-x `Tag` objects (unknown tags) and class instances are refused.
 *
 * `budget` bounds the number of arrays, objects, Maps and Sets visited: a decoder shares one
 * budget of the payload's size over a message, since every container takes at least one
 * byte of it, so a value whose
 * parts are shared (a DAG that would expand exponentially) or cyclic cannot make the walk
 * run away even if the CBOR layer ever produced one.
 *
 * This runs once per record batch over every record, so the walk keeps no path; only when
 * it finds a problem does a second walk work out where, for the error message.
 */
export function plainData (protocol: string, value: unknown, path: string, budget: Budget = { left: Number.POSITIVE_INFINITY }): void {
  const start = budget.left
  const problem = walk(value, 0, budget, undefined)
  if (problem === undefined) return
  const segments: (string | number)[] = []
  const again = walk(value, 0, { left: start }, segments) ?? problem
  let p = path
  for (const s of segments) p = at(p, s)
  fail(protocol, p, again)
}

/**
 * Returns undefined for plain data, else the problem; with `segments`, leaves the path to
 * the problem in it.
 */
function walk (v: unknown, depth: number, budget: Budget, segments: (string | number)[] | undefined): string | undefined {
  switch (typeof v) {
    case 'string': case 'number': case 'boolean': case 'bigint': case 'undefined':
      return undefined
    case 'object':
      if (v === null) return undefined
      break
    default:
      return `must be plain data, got ${describe(v)}`
  }
  if (depth >= MAX_VALUE_DEPTH) return `nests deeper than ${MAX_VALUE_DEPTH} levels`
  if (--budget.left < 0) return 'holds more values than its encoding can (shared or cyclic references)'
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      segments?.push(i)
      const problem = walk(v[i], depth + 1, budget, segments)
      if (problem !== undefined) return problem
      segments?.pop()
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) {
    // for-in is markedly faster than Object.keys here; it could only add inherited
    // enumerable keys (a polluted Object.prototype), which are then checked as well
    for (const key in v) {
      segments?.push(key)
      const problem = walk((v as WireObject)[key], depth + 1, budget, segments)
      if (problem !== undefined) return problem
      segments?.pop()
    }
    return undefined
  }
  if (ArrayBuffer.isView(v)) return v instanceof DataView ? 'must be plain data, got a DataView' : undefined
  if (proto === Date.prototype) return undefined
  if (proto === Map.prototype) {
    let i = 0
    for (const [key, x] of v as Map<unknown, unknown>) {
      segments?.push(`<key ${i}>`)
      let problem = walk(key, depth + 1, budget, segments)
      if (problem !== undefined) return problem
      segments?.pop()
      segments?.push(`<value ${i}>`)
      problem = walk(x, depth + 1, budget, segments)
      if (problem !== undefined) return problem
      segments?.pop()
      i++
    }
    return undefined
  }
  if (proto === Set.prototype) {
    let i = 0
    for (const x of v as Set<unknown>) {
      segments?.push(`<element ${i++}>`)
      const problem = walk(x, depth + 1, budget, segments)
      if (problem !== undefined) return problem
      segments?.pop()
    }
    return undefined
  }
  return `must be plain data, got ${describe(v)}`
}

/** What a map of strings to strings may hold: how many entries (named `noun` in errors), and each key's and value's rule. */
export interface StringMapRule {
  readonly max: number
  readonly noun: string
  readonly key: StringRule
  readonly value: StringRule
}

/**
 * A map of strings to strings (labels, job arguments), copied into a fresh object; a
 * `__proto__` key is refused.
 */
export function stringMap (protocol: string, o: WireObject, key: string, path: string, rule: StringMapRule): Record<string, string> {
  const p = at(path, key)
  const raw = field(o, key)
  if (raw === undefined) fail(protocol, p, 'is missing')
  const v = asWireObject(raw)
  if (v === undefined) fail(protocol, p, `must be a map of strings to strings, got ${describe(raw)}`)
  const entries = Object.entries(v)
  if (entries.length > rule.max) fail(protocol, p, `must have at most ${rule.max} ${rule.noun}, got ${entries.length}`)
  const out: Record<string, string> = {}
  for (const [k, value] of entries) {
    stringValue(protocol, k, p, rule.key)
    // cbor-x already renames a `__proto__` key; refuse it in case another decoder does not
    if (k === '__proto__') fail(protocol, p, "must not have the key '__proto__'")
    Object.defineProperty(out, k, { value: stringValue(protocol, value, at(p, k), rule.value), enumerable: true, writable: true, configurable: true })
  }
  return out
}
