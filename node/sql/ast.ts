/**
 * The syntax tree of a SQL statement as meshflow's binder reads it: a small, typed tree
 * made from the parser library's output (parser/ast-convert.ts), so nothing past the
 * parser depends on the library's shapes. Every expression and table reference carries the
 * position of its first character in the statement (`pos`), which errors report as
 * `line:column` with a caret under the query.
 *
 * Names are kept as written; `quoted` says whether an identifier was quoted (quoted names
 * match exactly, unquoted ones case-insensitively, as in Flink SQL and DuckDB).
 *
 * @example
 * const stmt = parseSql('SELECT store, SUM(amount) AS s FROM sales GROUP BY store')
 * // { kind: 'query', query: { kind: 'select', items: [...], from: { kind: 'table', name: ... }, groupBy: [...] } }
 */

/** A position in the statement text: 1-based line and column, 0-based offset. */
export interface Pos {
  readonly line: number
  readonly column: number
  readonly offset: number
}

/** An identifier as written. */
export interface Ident {
  readonly name: string
  readonly quoted: boolean
  readonly pos: Pos
}

/** A SQL data type as written in CAST and CREATE TABLE (`DECIMAL(10, 2)` keeps its arguments). */
export interface TypeName {
  /** Upper case: VARCHAR, STRING, DOUBLE, FLOAT, REAL, DECIMAL, INT, INTEGER, BIGINT, SMALLINT, TINYINT, BOOLEAN, TIMESTAMP, DATE, … */
  readonly name: string
  readonly args: readonly number[]
  readonly pos: Pos
}

/** The units of an INTERVAL literal. */
export type IntervalUnit = 'YEAR' | 'MONTH' | 'DAY' | 'HOUR' | 'MINUTE' | 'SECOND' | 'MILLISECOND'

export type BinaryOperator =
  | '+' | '-' | '*' | '/' | '%' | '||'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | 'AND' | 'OR'

export type Expr =
  /** `a`, `t.a`; `table` is set for a qualified name. */
  | { readonly kind: 'column', readonly table: Ident | undefined, readonly name: Ident, readonly pos: Pos }
  /** `*` or `t.*` in a select list, and `COUNT(*)`'s argument. */
  | { readonly kind: 'star', readonly table: Ident | undefined, readonly pos: Pos }
  /** Numbers keep their text (`1` is an integer, `1.5` and `1e3` are not). */
  | { readonly kind: 'number', readonly text: string, readonly pos: Pos }
  | { readonly kind: 'string', readonly value: string, readonly pos: Pos }
  | { readonly kind: 'boolean', readonly value: boolean, readonly pos: Pos }
  | { readonly kind: 'null', readonly pos: Pos }
  /** `DATE '1998-12-01'`, `TIMESTAMP '2024-01-01 10:00:00'`. */
  | { readonly kind: 'typed-string', readonly type: TypeName, readonly value: string, readonly pos: Pos }
  /** `INTERVAL '90' DAY`; `value` is the quoted text (a number, or `'1-2' YEAR TO MONTH` is not supported). */
  | { readonly kind: 'interval', readonly value: string, readonly unit: IntervalUnit, readonly pos: Pos }
  | { readonly kind: 'unary', readonly op: '-' | '+' | 'NOT', readonly arg: Expr, readonly pos: Pos }
  | { readonly kind: 'binary', readonly op: BinaryOperator, readonly left: Expr, readonly right: Expr, readonly pos: Pos }
  | { readonly kind: 'is-null', readonly arg: Expr, readonly negated: boolean, readonly pos: Pos }
  /** `x IS [NOT] TRUE|FALSE`. */
  | { readonly kind: 'is-bool', readonly arg: Expr, readonly value: boolean, readonly negated: boolean, readonly pos: Pos }
  | { readonly kind: 'between', readonly arg: Expr, readonly low: Expr, readonly high: Expr, readonly negated: boolean, readonly pos: Pos }
  | { readonly kind: 'in-list', readonly arg: Expr, readonly list: readonly Expr[], readonly negated: boolean, readonly pos: Pos }
  | { readonly kind: 'in-query', readonly arg: Expr, readonly query: Query, readonly negated: boolean, readonly pos: Pos }
  /** `EXISTS (SELECT …)`. */
  | { readonly kind: 'exists', readonly query: Query, readonly negated: boolean, readonly pos: Pos }
  /** A scalar subquery `(SELECT …)`. */
  | { readonly kind: 'subquery', readonly query: Query, readonly pos: Pos }
  | { readonly kind: 'like', readonly arg: Expr, readonly pattern: Expr, readonly escape: string | undefined, readonly negated: boolean, readonly caseInsensitive: boolean, readonly pos: Pos }
  /** Simple (`CASE x WHEN 1 THEN …`) when `operand` is set, searched otherwise. */
  | { readonly kind: 'case', readonly operand: Expr | undefined, readonly whens: readonly { readonly when: Expr, readonly then: Expr }[], readonly else: Expr | undefined, readonly pos: Pos }
  /** `CAST(x AS t)`; `TRY_CAST` sets `try`. */
  | { readonly kind: 'cast', readonly arg: Expr, readonly type: TypeName, readonly try: boolean, readonly pos: Pos }
  /** `EXTRACT(YEAR FROM x)`: `field` upper case. */
  | { readonly kind: 'extract', readonly field: string, readonly arg: Expr, readonly pos: Pos }
  /**
   * A function or aggregate call: `name` as written (the binder looks it up case-
   * insensitively); `COUNT(*)` has one `star` argument; `distinct` for `COUNT(DISTINCT x)`.
   * Flink's `TUMBLE(ts, INTERVAL …)`, `HOP`, `SESSION` and `DESCRIPTOR(ts)` are calls too.
   */
  | { readonly kind: 'call', readonly name: Ident, readonly args: readonly Expr[], readonly distinct: boolean, readonly pos: Pos }

/** One item of a select list. */
export interface SelectItem {
  readonly expr: Expr
  readonly alias: Ident | undefined
}

export interface OrderItem {
  readonly expr: Expr
  readonly direction: 'asc' | 'desc'
  /** As written; undefined when not (SQL's default: NULLS LAST for ASC, NULLS FIRST for DESC). */
  readonly nulls: 'first' | 'last' | undefined
}

export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'cross'

/** Something in FROM. */
export type TableRef =
  | { readonly kind: 'table', readonly name: Ident, readonly alias: Ident | undefined, readonly pos: Pos }
  | { readonly kind: 'derived', readonly query: Query, readonly alias: Ident | undefined, readonly pos: Pos }
  /**
   * A table-valued function: Flink's windowing TVFs, written `TABLE(TUMBLE(TABLE t,
   * DESCRIPTOR(ts), INTERVAL '1' MINUTE))`: `table` is the table, `args` the other arguments
   * in the function's parameter order (named arguments `SIZE => …` are put in that order).
   */
  | { readonly kind: 'table-function', readonly name: Ident, readonly table: TableRef, readonly args: readonly Expr[], readonly alias: Ident | undefined, readonly pos: Pos }
  /**
   * `USING (a, b)` keeps `using` as written (so `*` can show the columns once); the
   * converter also fills `on` (`l.a = r.a AND …`) when both sides have a name, else `on` is undefined.
   */
  | { readonly kind: 'join', readonly join: JoinKind, readonly left: TableRef, readonly right: TableRef, readonly on: Expr | undefined, readonly using: readonly Ident[] | undefined, readonly pos: Pos }

export interface Select {
  readonly kind: 'select'
  readonly distinct: boolean
  readonly items: readonly SelectItem[]
  /** Comma-separated FROM items become cross joins; undefined for `SELECT 1`. */
  readonly from: TableRef | undefined
  readonly where: Expr | undefined
  readonly groupBy: readonly Expr[]
  readonly having: Expr | undefined
  readonly pos: Pos
}

/** A set operation of two queries. */
export interface SetOperation {
  readonly kind: 'set'
  readonly op: 'union' | 'intersect' | 'except'
  /** `UNION ALL`; without it duplicates are removed. */
  readonly all: boolean
  readonly left: QueryBody
  readonly right: QueryBody
  readonly pos: Pos
}

/** `VALUES (1, 'a'), (2, 'b')`. */
export interface Values {
  readonly kind: 'values'
  readonly rows: readonly (readonly Expr[])[]
  readonly pos: Pos
}

export type QueryBody = Select | SetOperation | Values | Query

/** A whole query: a body with its CTEs, ORDER BY, LIMIT and OFFSET. */
export interface Query {
  readonly kind: 'query'
  readonly with: readonly { readonly name: Ident, readonly columns: readonly Ident[], readonly query: Query }[]
  readonly body: QueryBody
  readonly orderBy: readonly OrderItem[]
  /** An integer expression (a literal in practice). */
  readonly limit: Expr | undefined
  readonly offset: Expr | undefined
  readonly pos: Pos
}

/** A column of `CREATE TABLE t (…)`. */
export interface ColumnDef {
  readonly name: Ident
  readonly type: TypeName
  readonly notNull: boolean
}

/** A statement. */
export type Statement =
  | { readonly kind: 'query', readonly query: Query, readonly pos: Pos }
  | { readonly kind: 'explain', readonly statement: Statement, readonly pos: Pos }
  | { readonly kind: 'insert', readonly table: Ident, readonly columns: readonly Ident[], readonly query: Query, readonly overwrite: boolean, readonly pos: Pos }
  /** `CREATE TABLE t AS SELECT …`. */
  | { readonly kind: 'create-table-as', readonly table: Ident, readonly query: Query, readonly ifNotExists: boolean, readonly pos: Pos }
  /**
   * `CREATE TABLE t (cols…, WATERMARK FOR ts AS expr) WITH ('connector' = …)` (Flink's DDL):
   * the options as written, keys and values strings.
   */
  | { readonly kind: 'create-table', readonly table: Ident, readonly columns: readonly ColumnDef[], readonly watermark: { readonly column: Ident, readonly expr: Expr } | undefined, readonly options: Readonly<Record<string, string>>, readonly ifNotExists: boolean, readonly pos: Pos }
  | { readonly kind: 'drop-table', readonly table: Ident, readonly ifExists: boolean, readonly pos: Pos }
  | { readonly kind: 'show-tables', readonly pos: Pos }
  | { readonly kind: 'describe', readonly table: Ident, readonly pos: Pos }
