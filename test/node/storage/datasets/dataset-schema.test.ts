import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { DatasetSchema } from '../../../../node/api/dataset-schema.ts'
import { checkRow, describeSchemaDifference, inferSchema, parseSchemaSpec, sameSchema, validateSchema } from '../../../../node/storage/datasets/dataset-schema.ts'

function throwsNamed (fn: () => unknown, name: string, pattern: RegExp): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    assert.match((err as Error).message, pattern)
    return
  }
  assert.unreachable(`expected ${name}`)
}

const validate = suite('validateSchema')

validate('accepts every column type', () => {
  validateSchema({ columns: [{ name: 'a', type: 'string' }, { name: 'b', type: 'number' }, { name: 'c', type: 'int64' }, { name: 'd', type: 'boolean' }, { name: 'e', type: 'timestamp' }] })
})

validate('names the duplicate column, the empty name and the unknown type', () => {
  throwsNamed(() => { validateSchema({ columns: [{ name: 'a', type: 'string' }, { name: 'a', type: 'number' }] }) }, 'InvalidSchemaError', /Column 'a' appears twice/)
  throwsNamed(() => { validateSchema({ columns: [{ name: 'a', type: 'string' }, { name: '', type: 'number' }] }) }, 'InvalidSchemaError', /Column 2 has no name/)
  throwsNamed(() => { validateSchema({ columns: [{ name: 'amount', type: 'float' as 'number' }] }) }, 'InvalidSchemaError', /Column 'amount' has unknown type 'float' \(known: string, number, int64, boolean, timestamp\)/)
  throwsNamed(() => { validateSchema({ columns: [] }) }, 'InvalidSchemaError', /at least one column/)
})

validate.run()

const parse = suite('parseSchemaSpec')

parse('parses name:type pairs with spaces around them', () => {
  assert.equal(parseSchemaSpec('store:string, amount:number ,ts:timestamp,n:INT64,ok:boolean'), {
    columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'ts', type: 'timestamp' }, { name: 'n', type: 'int64' }, { name: 'ok', type: 'boolean' }]
  })
})

parse('names the bad part and lists the known types', () => {
  throwsNamed(() => parseSchemaSpec('store:string,amount:float'), 'SchemaSpecError', /part 'amount:float' has unknown type 'float' \(known: string, number, int64, boolean, timestamp\)/)
  throwsNamed(() => parseSchemaSpec('store:string,amount'), 'SchemaSpecError', /part 'amount' has no type: expected name:type with type one of string, number, int64, boolean, timestamp/)
  throwsNamed(() => parseSchemaSpec('store:string,,amount:number'), 'SchemaSpecError', /empty part/)
  throwsNamed(() => parseSchemaSpec(':number'), 'SchemaSpecError', /part ':number' has no column name/)
  throwsNamed(() => parseSchemaSpec('a:number,a:string'), 'SchemaSpecError', /Column 'a' appears twice/)
})

parse.run()

const infer = suite('inferSchema')

infer('infers types in order of first appearance; numbers stay numbers, null-only columns are strings', () => {
  const schema = inferSchema([
    { store: 's1', amount: 3, n: 5n, ok: true, when: new Date(0), nothing: null },
    { store: null, amount: 2.5, extra: 'x', nothing: undefined }
  ])
  assert.equal(schema.columns, [
    { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'n', type: 'int64' }, { name: 'ok', type: 'boolean' },
    { name: 'when', type: 'timestamp' }, { name: 'nothing', type: 'string' }, { name: 'extra', type: 'string' }
  ])
})

infer('makes named number columns timestamps', () => {
  assert.equal(inferSchema([{ ts: 1700000000000, v: 1 }], { timestamps: ['ts'] }).columns, [{ name: 'ts', type: 'timestamp' }, { name: 'v', type: 'number' }])
})

infer('names a column holding two types', () => {
  throwsNamed(() => inferSchema([{ a: 1 }, { a: null }, { a: 'x' }]), 'InvalidSchemaError', /Column 'a' holds both number and string values \(sample 2\)/)
  throwsNamed(() => inferSchema([{ a: [1] }]), 'InvalidSchemaError', /Column 'a' holds a value no column type can hold: an array/)
})

infer.run()

const same = suite('sameSchema')
const sales: DatasetSchema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }

same('is undefined for equal schemas and names the first difference', () => {
  assert.is(sameSchema(sales, { columns: [...sales.columns] }), undefined)
  const diff = sameSchema({ columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'string' }] }, sales)
  assert.ok(diff !== undefined)
  assert.is(describeSchemaDifference(diff, 'sales'), "column 'amount' is string here and number in dataset 'sales'")
  assert.is(describeSchemaDifference(sameSchema({ columns: [sales.columns[0]!] }, sales)!, 'sales'), "column 'amount' (number) is missing here but exists in dataset 'sales'")
  assert.is(describeSchemaDifference(sameSchema({ columns: [...sales.columns, { name: 'x', type: 'boolean' }] }, sales)!, 'sales'), "column 'x' (boolean) is new here and does not exist in dataset 'sales'")
  assert.is(describeSchemaDifference(sameSchema({ columns: [sales.columns[1]!, sales.columns[0]!] }, sales)!, 'sales'), "column 'amount' is column 1 here and column 2 in dataset 'sales'")
})

same.run()

const check = suite('checkRow')
const all: DatasetSchema = parseSchemaSpec('s:string,n:number,i:int64,b:boolean,t:timestamp')

check('keeps the schema columns in order, coerces safe integers to int64 and Dates to epoch ms, missing to null', () => {
  const row = checkRow(all, { t: new Date(5), i: 7, extra: 1, s: 'x', n: -0 })
  assert.equal(Object.keys(row), ['s', 'n', 'i', 'b', 't'])
  assert.equal(row, { s: 'x', n: -0, i: 7n, b: null, t: 5 })
  assert.ok(Object.is(row.n, -0))
})

check('names the row, column, expected type and the bad value', () => {
  throwsNamed(() => checkRow(all, { n: '12' }, 41), 'RowTypeError', /^Row 41: column 'n' expects a number \(number\), got "12"$/)
  throwsNamed(() => checkRow(all, { i: 1.5 }), 'RowTypeError', /column 'i' expects a bigint in the int64 range or a safe integer \(int64\), got 1.5/)
  throwsNamed(() => checkRow(all, { i: 2n ** 63n }), 'RowTypeError', /got 9223372036854775808n/)
  throwsNamed(() => checkRow(all, { t: NaN }), 'RowTypeError', /column 't' expects epoch milliseconds/)
  throwsNamed(() => checkRow(all, { b: 'true' }), 'RowTypeError', /column 'b' expects a boolean/)
})

check.run()
