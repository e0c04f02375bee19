/**
 * The accumulator of a group's SQL aggregates and the code that folds into it, shared by
 * the row combiner (sql-aggregates.ts) and the column kernels (scan-kernel.ts): one plain
 * array per group, so it crosses threads and peers as it is.
 *
 * Slot 0 counts the rows folded (COUNT(*)); then per aggregate: COUNT(x) the NULLs of x
 * (its count is the rows less them, so a column without NULLs costs nothing); SUM(x) and
 * AVG(x) a sum (a number, a bigint for BIGINT) and the NULLs of x (SUM of no values is
 * NULL); MIN/MAX the value or null; a DISTINCT aggregate (COUNT, SUM, AVG) the array of its distinct
 * values, indexed by a Set hidden under a symbol (runtime.ts addDistinct; rebuilt after a crossing).
 *
 * @example
 * const code = aggregateCode(aggregates)
 * code.init  // '[0, 0, 0, null]' for COUNT(*), SUM(x), MAX(y)
 */
import type { AggregateCall } from '../bound-expression.ts'
import { exprKey, type Codegen } from './codegen.ts'
import { compareDoubles } from './function-code.ts'

interface Slot {
  readonly agg: AggregateCall
  readonly at: number
  /** False when an earlier aggregate keeps this slot (SUM(x) and AVG(x) share the sum of x). */
  readonly owner: boolean
}

/** The generated pieces of an aggregate list's accumulator. */
export interface AggregateCode {
  /** A JS array literal of an empty accumulator. */
  readonly init: string
  /** Emits, into `g`, the statements folding the current row (as g's leaf reads it) into `acc`. */
  update(g: Codegen, acc: string): void
  /** Statements merging accumulator `b` into `a`. */
  merge(a: string, b: string): string[]
  /** Expressions of the aggregate results from `acc`, in order. */
  results(acc: string): string[]
}

/** The accumulator layout and code of `aggregates` (see the module comment). */
export function aggregateCode (aggregates: readonly AggregateCall[]): AggregateCode {
  const slots: Slot[] = []
  // slot 0: the rows folded (COUNT(*)); a count of x is the rows less the NULLs of x
  const init: string[] = ['0']
  const distinct = (a: AggregateCall): boolean => a.distinct && a.fn !== 'min' && a.fn !== 'max'
  const sums = new Map<string, number>()
  for (const agg of aggregates) {
    if ((agg.fn === 'sum' || agg.fn === 'avg') && !distinct(agg)) {
      const key = exprKey(agg.arg)
      const shared = sums.get(key)
      if (shared !== undefined) { slots.push({ agg, at: shared, owner: false }); continue }
      sums.set(key, init.length)
    }
    slots.push({ agg, at: init.length, owner: true })
    if (agg.fn === 'count_star') continue
    if (distinct(agg)) init.push('[]')
    else if (agg.fn === 'count') init.push('0')
    else if (agg.fn === 'avg' || agg.fn === 'sum') init.push(agg.arg?.type === 'BIGINT' ? '0n' : '0', '0')
    else init.push('null')
  }
  const better = (a: AggregateCall, v: string, cur: string): string => {
    const op = a.fn === 'min' ? 'lt' : 'gt'
    return a.arg?.type === 'DOUBLE' ? compareDoubles(op, v, cur, false, false) : `${v} ${op === 'lt' ? '<' : '>'} ${cur}`
  }
  return {
    init: `[${init.join(', ')}]`,
    update (g, acc) {
      g.emit(`${acc}[0]++`)
      for (const { agg, at, owner } of slots) {
        if (agg.fn === 'count_star' || !owner) continue
        const s = `${acc}[${at}]`
        const v = g.expr(agg.arg!)
        const nullable = agg.arg!.nullable || v === 'null'
        if (distinct(agg)) { g.emit(nullable ? `if (${v} !== null) R.addDistinct(${s}, ${v})` : `R.addDistinct(${s}, ${v})`); continue }
        switch (agg.fn) {
          case 'count': if (nullable) g.emit(`if (${v} === null) ${s}++`); break
          case 'sum':
          case 'avg': g.emit(nullable ? `if (${v} === null) ${acc}[${at + 1}]++; else ${s} += ${v}` : `${s} += ${v}`); break
          case 'min':
          case 'max': {
            const set = `if (${s} === null || ${better(agg, v, s)}) ${s} = ${v}`
            g.emit(nullable ? `if (${v} !== null) { ${set} }` : set)
            break
          }
        }
      }
    },
    merge (a, b) {
      const lines = [`${a}[0] += ${b}[0]`]
      for (const { agg, at, owner } of slots) {
        if (agg.fn === 'count_star' || !owner) continue
        const x = `${a}[${at}]`
        const y = `${b}[${at}]`
        if (distinct(agg)) { lines.push(`for (const v of ${y}) R.addDistinct(${x}, v)`); continue }
        switch (agg.fn) {
          case 'count': lines.push(`${x} += ${y}`); break
          case 'sum':
          case 'avg': lines.push(`${x} += ${y}`, `${a}[${at + 1}] += ${b}[${at + 1}]`); break
          case 'min':
          case 'max': lines.push(`if (${y} !== null && (${x} === null || ${better(agg, y, x)})) ${x} = ${y}`); break
        }
      }
      return lines
    },
    results (acc) {
      const rows = `${acc}[0]`
      return slots.map(({ agg, at }) => {
        const s = `${acc}[${at}]`
        const argType = agg.arg?.type
        if (distinct(agg)) {
          if (agg.fn === 'count') return `BigInt(${s}.length)`
          const zero = argType === 'BIGINT' ? '0n' : '0'
          const sum = `${s}.reduce((x, y) => x + ${agg.fn === 'avg' && argType === 'BIGINT' ? 'Number(y)' : 'y'}, ${agg.fn === 'avg' ? '0' : zero})`
          if (agg.fn === 'avg') return `(${s}.length === 0 ? null : ${sum} / ${s}.length)`
          return `(${s}.length === 0 ? null : ${argType === 'INTEGER' ? `BigInt(${sum})` : sum})`
        }
        const n = `(${rows} - ${acc}[${at + 1}])`
        switch (agg.fn) {
          case 'count_star': return `BigInt(${rows})`
          case 'count': return `BigInt(${rows} - ${s})`
          case 'sum': return `(${n} === 0 ? null : ${argType === 'INTEGER' ? `BigInt(${s})` : s})`
          case 'avg': return `(${n} === 0 ? null : ${argType === 'BIGINT' ? `Number(${s})` : s} / ${n})`
          default: return s
        }
      })
    }
  }
}
