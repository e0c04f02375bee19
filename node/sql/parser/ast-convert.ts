/**
 * The parser library's statements → meshflow's `Statement` (node/sql/ast.ts): queries,
 * EXPLAIN, INSERT [OVERWRITE], CREATE TABLE [AS SELECT] (with Flink's options and
 * watermark), DROP TABLE, SHOW TABLES, DESCRIBE. Anything else is a SqlUnsupportedError
 * naming the statement. Queries and expressions: ast-convert-query.ts, ast-convert-expr.ts.
 */
import type { ColumnDef, Expr, Ident, Statement } from '../ast.ts'
import { absent, constructName, variant } from './convert-context.ts'
import type { ConvertContext, LibNode } from './convert-context.ts'
import { convertQuery } from './ast-convert-query.ts'
import { convertExpr, convertTypeName } from './ast-convert-expr.ts'

/** A watermark clause taken out before parsing: its column and its parsed expression (library JSON). */
export interface LibWatermark {
  readonly column: Ident
  readonly expr: LibNode
}

/** Converts one library statement; `watermark` is the CREATE TABLE's, parsed apart. */
export function convertStatement (ctx: ConvertContext, node: LibNode, watermark?: LibWatermark): Statement {
  const [tag, v] = variant(node)
  const pos = ctx.statementPos()
  switch (tag) {
    case 'Query':
      return { kind: 'query', query: convertQuery(ctx, v), pos }
    case 'Explain': {
      if (v.analyze === true || v.verbose === true || !absent(v.format) || !absent(v.options) || !absent(v.query_plan) || !absent(v.estimate)) {
        throw ctx.unsupported('EXPLAIN with options (ANALYZE, VERBOSE, FORMAT)', pos)
      }
      if (v.describe_alias !== 'Explain') throw ctx.unsupported(`${String(v.describe_alias).toUpperCase()} of a statement`, pos)
      const inner = convertStatement(ctx, v.statement)
      const innerPos = ctx.tokenPos(1) ?? pos
      return { kind: 'explain', statement: { ...inner, pos: innerPos }, pos }
    }
    case 'Insert':
      return convertInsert(ctx, v)
    case 'CreateTable':
      return convertCreateTable(ctx, v, watermark)
    case 'Drop': {
      if (v.object_type !== 'Table') throw ctx.unsupported(`DROP ${constructName(String(v.object_type))}`, pos)
      if (v.cascade === true || v.restrict === true || v.purge === true || v.temporary === true) throw ctx.unsupported('DROP TABLE … CASCADE/RESTRICT/PURGE', pos)
      const names = v.names as LibNode[]
      if (names.length !== 1) throw ctx.unsupported('DROP TABLE of several tables', ctx.firstPos(names[1]))
      return { kind: 'drop-table', table: ctx.objectName(names[0], 'Table name'), ifExists: v.if_exists === true, pos }
    }
    case 'ShowTables': {
      const opts = v.show_options ?? {}
      if (v.terse === true || v.history === true || v.extended === true || v.full === true || v.external === true ||
        Object.values(opts).some(o => !absent(o))) {
        throw ctx.unsupported('SHOW TABLES with a filter or modifier', pos)
      }
      return { kind: 'show-tables', pos }
    }
    case 'ExplainTable': {
      if (!absent(v.hive_format)) throw ctx.unsupported('DESCRIBE with options', pos)
      return { kind: 'describe', table: ctx.objectName(v.table_name, 'Table name'), pos }
    }
    default:
      throw ctx.unsupported(tag === '' ? 'This statement' : `The statement ${constructName(tag)}`, pos)
  }
}

function convertInsert (ctx: ConvertContext, v: LibNode): Statement {
  const pos = ctx.statementPos()
  const [tableTag, tableName] = variant(v.table)
  if (tableTag !== 'TableName') throw ctx.unsupported('INSERT INTO a table function', ctx.firstPos(v.table))
  const table = ctx.objectName(tableName, 'Table name')
  for (const [field, name] of [['or', 'INSERT OR …'], ['ignore', 'INSERT IGNORE'], ['table_alias', 'An alias on the INSERT table'], ['partitioned', 'PARTITION'],
    ['after_columns', 'A column list after PARTITION'], ['on', 'ON CONFLICT / ON DUPLICATE KEY'], ['returning', 'RETURNING'], ['replace_into', 'REPLACE INTO'],
    ['priority', 'INSERT priority'], ['insert_alias', 'INSERT … AS'], ['settings', 'SETTINGS'], ['format_clause', 'FORMAT']] as const) {
    if (!absent(v[field])) throw ctx.unsupported(name, table.pos)
  }
  if (absent(v.source)) throw ctx.unsupported('INSERT without a query (DEFAULT VALUES)', table.pos)
  const columns = ((v.columns ?? []) as LibNode[]).map(c => {
    // The library writes each column as an ObjectName ([Identifier]) or, in older versions, an Ident.
    return Array.isArray(c) ? ctx.objectName(c, 'Column name') : ctx.ident(c)
  })
  return { kind: 'insert', table, columns, query: convertQuery(ctx, v.source), overwrite: v.overwrite === true, pos }
}

const CREATE_TABLE_EXTRAS: readonly [string, string][] = [
  ['or_replace', 'CREATE OR REPLACE'], ['temporary', 'CREATE TEMPORARY TABLE'], ['external', 'CREATE EXTERNAL TABLE'],
  ['global', 'CREATE GLOBAL TABLE'], ['transient', 'CREATE TRANSIENT TABLE'], ['volatile', 'CREATE VOLATILE TABLE'],
  ['iceberg', 'CREATE ICEBERG TABLE'], ['constraints', 'A table constraint (PRIMARY KEY, FOREIGN KEY, …)'],
  ['hive_formats', 'ROW FORMAT'], ['file_format', 'STORED AS'], ['location', 'LOCATION'], ['like', 'CREATE TABLE … LIKE'],
  ['clone', 'CLONE'], ['comment', 'COMMENT'], ['partition_by', 'PARTITIONED BY'], ['cluster_by', 'CLUSTER BY'],
  ['primary_key', 'PRIMARY KEY'], ['order_by', 'ORDER BY'], ['inherits', 'INHERITS']
]

function convertCreateTable (ctx: ConvertContext, v: LibNode, watermark: LibWatermark | undefined): Statement {
  const pos = ctx.statementPos()
  const table = ctx.objectName(v.name, 'Table name')
  for (const [field, name] of CREATE_TABLE_EXTRAS) {
    if (!absent(v[field]) && !(field === 'hive_formats' && Object.values(v[field]).every(absent))) throw ctx.unsupported(name, table.pos)
  }
  if (v.hive_distribution !== undefined && v.hive_distribution !== 'NONE') throw ctx.unsupported('PARTITIONED BY', table.pos)
  const ifNotExists = v.if_not_exists === true
  const columns = ((v.columns ?? []) as LibNode[]).map(c => convertColumnDef(ctx, c))
  if (!absent(v.query)) {
    if (columns.length > 0) throw ctx.unsupported('CREATE TABLE with both columns and AS SELECT', columns[0]?.name.pos ?? table.pos)
    if (!absent(v.table_options)) throw ctx.unsupported('CREATE TABLE … WITH (…) AS SELECT', table.pos)
    return { kind: 'create-table-as', table, query: convertQuery(ctx, v.query), ifNotExists, pos }
  }
  if (columns.length === 0) throw ctx.syntax(`expected the columns of table '${table.name}'`, table.pos)
  return {
    kind: 'create-table',
    table,
    columns,
    watermark: watermark === undefined ? undefined : { column: watermark.column, expr: convertExpr(ctx, watermark.expr) },
    options: convertOptions(ctx, v.table_options, table),
    ifNotExists,
    pos
  }
}

function convertColumnDef (ctx: ConvertContext, c: LibNode): ColumnDef {
  const name = ctx.ident(c.name)
  let notNull = false
  for (const o of (c.options ?? []) as LibNode[]) {
    const [tag] = variant(o.option)
    if (tag === 'NotNull') notNull = true
    else if (tag !== 'Null') throw ctx.unsupported(`The column option ${constructName(tag)} (of '${name.name}')`, name.pos)
  }
  const typePos = ctx.tokenPos(ctx.tokenIndex(name.pos) + 1) ?? name.pos
  return { name, type: convertTypeName(ctx, c.data_type, typePos), notNull }
}

/** `WITH ('connector' = 'datagen', 'rows-per-second' = 10)`: keys and values as strings. */
function convertOptions (ctx: ConvertContext, options: LibNode, table: Ident): Record<string, string> {
  const out: Record<string, string> = {}
  if (absent(options)) return out
  const [tag, list] = variant(options)
  if (tag !== 'With') throw ctx.unsupported(`The table options ${constructName(tag)}`, table.pos)
  for (const o of list as LibNode[]) {
    const [otag, kv] = variant(o)
    if (otag !== 'KeyValue') throw ctx.unsupported(`The table option ${constructName(otag)}`, ctx.firstPos(o))
    const key = String(kv.key.value)
    const value: Expr = convertExpr(ctx, kv.value)
    if (value.kind === 'string') out[key] = value.value
    else if (value.kind === 'number') out[key] = value.text
    else if (value.kind === 'boolean') out[key] = String(value.value)
    else if (value.kind === 'column' && value.table === undefined) out[key] = value.name.name
    else throw ctx.syntax(`expected a string, number or boolean as the value of option '${key}'`, value.pos)
  }
  return out
}
