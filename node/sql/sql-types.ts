/**
 * SQL types and how their values are held at run time. A row is an array of values, one
 * per column of its operator's output, null for SQL NULL:
 *
 * | type        | JS value                                 | dataset column type |
 * |-------------|------------------------------------------|---------------------|
 * | `BOOLEAN`   | boolean                                  | boolean             |
 * | `INTEGER`   | number (a 32-bit integer)                | number (int32 data) |
 * | `BIGINT`    | bigint                                   | int64               |
 * | `DOUBLE`    | number                                   | number              |
 * | `VARCHAR`   | string                                   | string              |
 * | `TIMESTAMP` | number, epoch milliseconds (UTC)         | timestamp           |
 * | `DATE`      | number, epoch milliseconds of UTC midnight | timestamp         |
 * | `INTERVAL`  | `{ months, ms }` (only in date arithmetic) | —                 |
 * | `NULL`      | null (the type of a bare NULL literal)   | —                   |
 *
 * Dataset columns map to SQL types by `sqlTypeOfColumn`; a query's result columns map
 * back by `columnTypeOf` (for `CREATE TABLE … AS`, `INSERT INTO`).
 *
 * @example
 * sqlTypeOfColumn('int64')      // 'BIGINT'
 * commonType('INTEGER', 'DOUBLE') // 'DOUBLE'
 */
import type { ColumnType } from '../api/dataset-schema.ts'

export type SqlType = 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'TIMESTAMP' | 'DATE' | 'INTERVAL' | 'NULL'

/** An INTERVAL value: calendar months and milliseconds, added separately. */
export interface IntervalValue {
  readonly months: number
  readonly ms: number
}

/** A column of a relation as the planner sees it. */
export interface SqlColumn {
  readonly name: string
  readonly type: SqlType
  /** False when the column is known never to be NULL (no null checks are compiled for it). */
  readonly nullable: boolean
}

/** The SQL type of a dataset column. */
export function sqlTypeOfColumn (type: ColumnType): SqlType {
  switch (type) {
    case 'string': return 'VARCHAR'
    case 'number': return 'DOUBLE'
    case 'int64': return 'BIGINT'
    case 'boolean': return 'BOOLEAN'
    case 'timestamp': return 'TIMESTAMP'
  }
}

/** The dataset column type that holds values of a SQL type (NULL-typed columns become strings). */
export function columnTypeOf (type: SqlType): ColumnType {
  switch (type) {
    case 'BOOLEAN': return 'boolean'
    case 'INTEGER':
    case 'DOUBLE': return 'number'
    case 'BIGINT': return 'int64'
    case 'TIMESTAMP':
    case 'DATE': return 'timestamp'
    case 'VARCHAR':
    case 'INTERVAL':
    case 'NULL': return 'string'
  }
}

/** Whether a type is a number type (INTEGER, BIGINT, DOUBLE). */
export function isNumeric (type: SqlType): boolean {
  return type === 'INTEGER' || type === 'BIGINT' || type === 'DOUBLE'
}

/** Whether a type is a point in time (TIMESTAMP, DATE). */
export function isTemporal (type: SqlType): boolean {
  return type === 'TIMESTAMP' || type === 'DATE'
}

const NUMERIC_RANK: Partial<Record<SqlType, number>> = { INTEGER: 1, BIGINT: 2, DOUBLE: 3 }

/**
 * The type two values are compared or combined in (CASE branches, UNION columns, `=`,
 * COALESCE), or undefined when they do not mix: numbers widen INTEGER < BIGINT < DOUBLE,
 * DATE widens to TIMESTAMP, NULL fits anything.
 */
export function commonType (a: SqlType, b: SqlType): SqlType | undefined {
  if (a === b) return a
  if (a === 'NULL') return b
  if (b === 'NULL') return a
  const ra = NUMERIC_RANK[a]
  const rb = NUMERIC_RANK[b]
  if (ra !== undefined && rb !== undefined) return ra > rb ? a : b
  if (isTemporal(a) && isTemporal(b)) return 'TIMESTAMP'
  return undefined
}

/**
 * A SQL type name as written (CAST, CREATE TABLE) as a meshflow type, or undefined when
 * there is none: VARCHAR/STRING/CHAR/TEXT, DOUBLE/FLOAT/REAL/DECIMAL/NUMERIC, INT/INTEGER/
 * SMALLINT/TINYINT, BIGINT, BOOLEAN, TIMESTAMP (any precision), DATE.
 */
export function sqlTypeOfName (name: string): SqlType | undefined {
  switch (name.toUpperCase()) {
    case 'VARCHAR': case 'STRING': case 'CHAR': case 'TEXT': case 'CHARACTER VARYING': return 'VARCHAR'
    case 'DOUBLE': case 'DOUBLE PRECISION': case 'FLOAT': case 'REAL': case 'DECIMAL': case 'NUMERIC': case 'FLOAT8': case 'FLOAT64': return 'DOUBLE'
    case 'INT': case 'INTEGER': case 'SMALLINT': case 'TINYINT': case 'INT4': return 'INTEGER'
    case 'BIGINT': case 'INT8': case 'INT64': return 'BIGINT'
    case 'BOOLEAN': case 'BOOL': return 'BOOLEAN'
    case 'TIMESTAMP': case 'TIMESTAMP_LTZ': case 'DATETIME': return 'TIMESTAMP'
    case 'DATE': return 'DATE'
    default: return undefined
  }
}
