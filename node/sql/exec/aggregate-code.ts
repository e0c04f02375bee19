/**
 * The accumulator of a group's SQL aggregates and the code that folds into it, shared by
 * the row combiner (sql-aggregates.ts) and the column kernels (scan-kernel.ts): one plain
 * array per group, so it crosses threads and peers as it is.
 *
 * Slots per aggregate: COUNT(*) and COUNT(x) a number; SUM(x) null until a value, then a
 * number (INTEGER, DOUBLE) or bigint (BIGINT); AVG(x) a sum (exact for BIGINT) and a count; MIN/MAX
 * the value or null; a DISTINCT aggregate (COUNT, SUM, AVG) the array of its distinct
 * values, indexed by a Set hidden under a symbol (runtime.ts addDistinct; rebuilt after a crossing).
 *
 * @example
 * const code = aggregateCode(aggregates)
 * code.init  // '[0, null, 0, 0]'
 */
import type { AggregateCall } from '../bound-expression.ts'
import type { Codegen } from './codegen.ts'
import { compareDoubles } from './function-code.ts'

interface Slot {
  readonly agg: AggregateCall
  readonly at: number
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
  const init: string[] = []
  for (const agg of aggregates) {
    slots.push({ agg, at: init.length })
    if (agg.distinct && agg.fn !== 'min' && agg.fn !== 'max') init.push('[]')
    else if (agg.fn === 'count' || agg.fn === 'count_star') init.push('0')
    else if (agg.fn === 'avg') init.push(agg.arg?.type === 'BIGINT' ? '0n' : '0', '0')
    else init.push('null')
  }
  const distinct = (a: AggregateCall): boolean => a.distinct && a.fn !== 'min' && a.fn !== 'max'
  const better = (a: AggregateCall, v: string, cur: string): string => {
    const op = a.fn === 'min' ? 'lt' : 'gt'
    return a.arg?.type === 'DOUBLE' ? compareDoubles(op, v, cur, false, false) : `${v} ${op === 'lt' ? '<' : '>'} ${cur}`
  }
  return {
    init: `[${init.join(', ')}]`,
    update (g, acc) {
      for (const { agg, at } of slots) {
        const s = `${acc}[${at}]`
        if (agg.fn === 'count_star') { g.emit(`${s}++`); continue }
        const v = g.expr(agg.arg!)
        const nullable = agg.arg!.nullable || v === 'null'
        const guard = (body: string): void => g.emit(nullable ? `if (${v} !== null) ${body}` : body)
        if (distinct(agg)) { guard(`R.addDistinct(${s}, ${v})`); continue }
        switch (agg.fn) {
          case 'count': guard(`${s}++`); break
          case 'sum': guard(`${s} = ${s} === null ? ${v} : ${s} + ${v}`); break
          case 'avg': guard(`{ ${s} += ${v}; ${acc}[${at + 1}]++ }`); break
          case 'min':
          case 'max': guard(`if (${s} === null || ${better(agg, v, s)}) ${s} = ${v}`); break
        }
      }
    },
    merge (a, b) {
      const lines: string[] = []
      for (const { agg, at } of slots) {
        const x = `${a}[${at}]`
        const y = `${b}[${at}]`
        if (distinct(agg)) { lines.push(`for (const v of ${y}) R.addDistinct(${x}, v)`); continue }
        switch (agg.fn) {
          case 'count_star':
          case 'count': lines.push(`${x} += ${y}`); break
          case 'sum': lines.push(`if (${y} !== null) ${x} = ${x} === null ? ${y} : ${x} + ${y}`); break
          case 'avg': lines.push(`${x} += ${y}`, `${a}[${at + 1}] += ${b}[${at + 1}]`); break
          case 'min':
          case 'max': lines.push(`if (${y} !== null && (${x} === null || ${better(agg, y, x)})) ${x} = ${y}`); break
        }
      }
      return lines
    },
    results (acc) {
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
        switch (agg.fn) {
          case 'count_star':
          case 'count': return `BigInt(${s})`
          case 'sum': return argType === 'INTEGER' ? `(${s} === null ? null : BigInt(${s}))` : s
          case 'avg': return `(${acc}[${at + 1}] === 0 ? null : ${argType === 'BIGINT' ? `Number(${s})` : s} / ${acc}[${at + 1}])`
          default: return s
        }
      })
    }
  }
}
