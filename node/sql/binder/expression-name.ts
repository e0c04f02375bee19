/**
 * The name of a select item written without an alias, close to DuckDB's: a column keeps
 * its name, a call is `name(args)` in lower case (`count_star()` for COUNT(*)), an
 * operator `(a + b)`, a literal its text.
 *
 * @example
 * expressionName(parseExpr('SUM(amount)'))   // 'sum(amount)'
 */
import type { Expr } from '../ast.ts'

export function expressionName (e: Expr): string {
  switch (e.kind) {
    case 'column': return e.name.name
    case 'star': return '*'
    case 'number': return e.text
    case 'string': return `'${e.value}'`
    case 'boolean': return e.value ? 'true' : 'false'
    case 'null': return 'NULL'
    case 'typed-string': return `CAST('${e.value}' AS ${e.type.name})`
    case 'interval': return `to_${e.unit.toLowerCase()}s(${e.value})`
    case 'unary': return e.op === 'NOT' ? `(NOT ${expressionName(e.arg)})` : `${e.op}${expressionName(e.arg)}`
    case 'binary': return `(${expressionName(e.left)} ${e.op} ${expressionName(e.right)})`
    case 'is-null': return `(${expressionName(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL)`
    case 'cast': return `CAST(${expressionName(e.arg)} AS ${e.type.name})`
    case 'extract': return `${e.field.toLowerCase()}(${expressionName(e.arg)})`
    case 'call': {
      const name = e.name.name.toLowerCase()
      if (name === 'count' && e.args.length === 1 && e.args[0]!.kind === 'star') return 'count_star()'
      return `${name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map(expressionName).join(', ')})`
    }
    case 'case': return 'CASE'
    default: return e.kind
  }
}
