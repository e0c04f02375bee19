/**
 * The rows of a `'connector' = 'datagen'` table: row `i` is a pure function of `i` (and the
 * `seed` option), so a restored job replays exactly the rows it generated before.
 *
 * Per column (`fields.<col>.kind`):
 * - `sequence`: `start + i` up to `end` (numbers; TIMESTAMP start/end as epoch ms or
 *   `'YYYY-MM-DD HH:MM:SS'`). The shortest sequence ends the table unless `number-of-rows`
 *   is smaller.
 * - `random` (the default): INTEGER and BIGINT uniform in `[min, max]` (default 0 to
 *   1,000,000), DOUBLE uniform in `[min, max)` (default 0 to 1), VARCHAR of `length`
 *   (default 16) letters and digits, BOOLEAN, TIMESTAMP uniform in `[min, max]` (epoch ms
 *   or timestamp text). Unlike Flink's, the values are a hash of the seed, the column and
 *   `i`: the same table gives the same rows every time.
 * - A TIMESTAMP column without a kind is `i` ms after the epoch (time advances with the rows).
 *
 * @example
 * const { count, generate } = datagenRows(def)
 * generate(0) // [0n, 'k3xq…', 0]
 */
import type { ConnectorTable } from './connector-table.ts'
import type { Pos } from '../ast.ts'
import { integerOption } from './connector-table.ts'
import { parseTimestampLiteral } from '../binder/literals.ts'
import { SqlDdlError } from '../errors.ts'
import { fmix } from '../../graph/key-groups.ts'

type Row = unknown[]

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A 32-bit hash of (seed, column, i, salt): murmur3's finalizer over the parts. */
function hash (seed: number, column: number, i: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(column + 1, 0xc2b2ae35)
  h = Math.imul(h ^ (i >>> 0), 0xcc9e2d51)
  h = Math.imul(h ^ Math.floor(i / 4294967296), 0x1b873593) ^ Math.imul(salt + 7, 0x27d4eb2f)
  return fmix(h, 0)
}

/** A uniform number in [0, 1). */
function unit (seed: number, column: number, i: number, salt = 0): number {
  return (hash(seed, column, i, salt) * 2097152 + (hash(seed, column, i, salt + 1) >>> 11)) / 9007199254740992
}

/** The number of rows (undefined: unbounded) and the generator of row `i`. */
export function datagenRows (def: ConnectorTable): { count: number | undefined, generate: (i: number) => Row } {
  const o = def.options
  const pos = def.pos
  const seed = integerOption(o, 'seed', pos) ?? 0
  let count = integerOption(o, 'number-of-rows', pos)
  const fields = def.columns.map((c, k): (i: number) => unknown => {
    const opt = (name: string): string | undefined => o[`fields.${c.name}.${name}`]
    const kind = opt('kind') ?? (c.type === 'TIMESTAMP' ? 'index' : 'random')
    if (kind === 'index') return i => i
    if (kind === 'sequence') {
      const start = numberOption(opt('start')!, c.type, `fields.${c.name}.start`, pos)
      const end = numberOption(opt('end')!, c.type, `fields.${c.name}.end`, pos)
      if (end < start) throw new SqlDdlError(`Datagen sequence of '${c.name}' ends (${end}) before it starts (${start})`, pos)
      const length = end - start + 1
      count = count === undefined ? length : Math.min(count, length)
      if (c.type === 'BIGINT') return i => BigInt(start + i)
      return i => start + i
    }
    const length = integerOption(o, `fields.${c.name}.length`, pos) ?? 16
    const minText = opt('min')
    const maxText = opt('max')
    switch (c.type) {
      case 'BOOLEAN': return i => hash(seed, k, i, 0) % 2 === 0
      case 'VARCHAR': return i => {
        let s = ''
        for (let j = 0; j < length; j++) s += ALPHABET[hash(seed, k, i, j) % ALPHABET.length]
        return s
      }
      case 'DOUBLE': {
        const min = minText === undefined ? 0 : numberOption(minText, c.type, `fields.${c.name}.min`, pos)
        const max = maxText === undefined ? 1 : numberOption(maxText, c.type, `fields.${c.name}.max`, pos)
        return i => min + unit(seed, k, i) * (max - min)
      }
      default: {
        const min = minText === undefined ? 0 : numberOption(minText, c.type, `fields.${c.name}.min`, pos)
        const max = maxText === undefined ? (c.type === 'TIMESTAMP' ? 0 : 1_000_000) : numberOption(maxText, c.type, `fields.${c.name}.max`, pos)
        if (max < min) throw new SqlDdlError(`Datagen column '${c.name}' has max (${max}) below min (${min})`, pos)
        const span = max - min + 1
        if (c.type === 'BIGINT') return i => BigInt(min + Math.floor(unit(seed, k, i) * span))
        return i => min + Math.floor(unit(seed, k, i) * span)
      }
    }
  })
  return { count, generate: i => fields.map(f => f(i)) }
}

function numberOption (text: string, type: string, key: string, pos: Pos): number {
  const n = Number(text)
  if (text.trim() !== '' && Number.isFinite(n)) return n
  if (type === 'TIMESTAMP') return parseTimestampLiteral(text, pos)
  throw new SqlDdlError(`Option '${key}' must be a number, got '${text}'`, pos)
}
