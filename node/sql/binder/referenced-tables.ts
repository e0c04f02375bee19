/**
 * The names of the tables a query reads (FROM items that are not CTEs in scope), found
 * from its syntax alone — before any catalog is known. A job built without its dataset
 * catalog (the first build of a job module) declares these reads, so the JobManager
 * resolves and pins them and builds the job again with their schemas.
 *
 * @example
 * referencedTables(parseQuery('WITH t AS (SELECT * FROM a) SELECT * FROM t JOIN b ON …')) // ['a', 'b']
 */
import type { Expr, Query, QueryBody, TableRef } from '../ast.ts'

/** See the module comment (names as written, each once). */
export function referencedTables (q: Query): string[] {
  const found = new Set<string>()
  visitQuery(q, new Set(), found)
  return [...found]
}

function visitQuery (q: Query, ctes: ReadonlySet<string>, found: Set<string>): void {
  const scope = new Set(ctes)
  for (const w of q.with) {
    visitQuery(w.query, scope, found)
    scope.add(w.name.name.toLowerCase())
  }
  visitBody(q.body, scope, found)
  for (const o of q.orderBy) visitExpr(o.expr, scope, found)
}

function visitBody (b: QueryBody, ctes: ReadonlySet<string>, found: Set<string>): void {
  switch (b.kind) {
    case 'query': visitQuery(b, ctes, found); break
    case 'set': visitBody(b.left, ctes, found); visitBody(b.right, ctes, found); break
    case 'values': for (const r of b.rows) for (const e of r) visitExpr(e, ctes, found); break
    case 'select':
      if (b.from !== undefined) visitRef(b.from, ctes, found)
      for (const i of b.items) visitExpr(i.expr, ctes, found)
      if (b.where !== undefined) visitExpr(b.where, ctes, found)
      if (b.having !== undefined) visitExpr(b.having, ctes, found)
      break
  }
}

function visitRef (r: TableRef, ctes: ReadonlySet<string>, found: Set<string>): void {
  switch (r.kind) {
    case 'table': if (!ctes.has(r.name.name.toLowerCase())) found.add(r.name.name); break
    case 'derived': visitQuery(r.query, ctes, found); break
    case 'table-function': visitRef(r.table, ctes, found); break
    case 'join':
      visitRef(r.left, ctes, found)
      visitRef(r.right, ctes, found)
      if (r.on !== undefined) visitExpr(r.on, ctes, found)
      break
  }
}

function visitExpr (e: Expr, ctes: ReadonlySet<string>, found: Set<string>): void {
  const v = (x: Expr | undefined): void => { if (x !== undefined) visitExpr(x, ctes, found) }
  switch (e.kind) {
    case 'in-query': v(e.arg); visitQuery(e.query, ctes, found); break
    case 'exists': case 'subquery': visitQuery(e.query, ctes, found); break
    case 'unary': case 'is-null': case 'is-bool': case 'cast': case 'extract': v(e.arg); break
    case 'binary': v(e.left); v(e.right); break
    case 'between': v(e.arg); v(e.low); v(e.high); break
    case 'in-list': v(e.arg); e.list.forEach(v); break
    case 'like': v(e.arg); v(e.pattern); break
    case 'case': v(e.operand); e.whens.forEach(w => { v(w.when); v(w.then) }); v(e.else); break
    case 'call': e.args.forEach(v); break
    default: break
  }
}
