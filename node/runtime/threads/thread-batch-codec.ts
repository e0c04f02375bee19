/**
 * How a stream element crosses from one thread to another. Control elements are cloned
 * as they are. A record batch is turned into columns, like Flink's serializers turn a
 * POJO into its fields: when every record of the batch is a plain object with the same
 * keys in the same order, each key becomes a column — a Float64Array (transferred, not
 * copied) when every value of it is a number; a dictionary of its distinct strings and a
 * Uint32Array of indexes when it holds strings that repeat (a channel name, a category);
 * else an array the structured clone copies — and the receiver rebuilds the records with an object literal compiled for that shape,
 * so they are as fast to use as the ones the producer made. A batch of numbers is one
 * Float64Array. Anything else (mixed shapes, class instances, arrays, Maps) is
 * structured-cloned as it is, which is also what any value of a non-numeric column is.
 *
 * What crosses is what the structured clone keeps (own enumerable properties; no
 * prototypes, no functions) — the same a record keeps between two peers.
 *
 * @example
 * const { encoded, transfer } = encodeElement(batch)
 * port.postMessage(encoded, transfer) // on the other thread: decodeElement(encoded)
 */
import type { ControlElement, RecordBatch, StreamElement } from '../stream-element.ts'

/**
 * A column: every value a 32-bit integer (an Int32Array: the receiver's records get small
 * integers, as the producer's had, not boxed doubles), every value a number (a Float64Array),
 * or anything (cloned).
 */
type Column = Int32Array | Float64Array | unknown[]
/** How a shape's column is kept: it only ever widens, int -> float -> any. */
type ColumnKind = 'int' | 'float' | 'any'
/** A column as it crosses: strings that repeat become a dictionary and indexes into it. */
type WireColumn = Column | { readonly dictionary: readonly string[], readonly indexes: Uint32Array }

/** A record batch as it crosses threads. */
export type EncodedRecords =
  | { readonly type: 'records', readonly form: 'numbers', readonly values: Int32Array | Float64Array, readonly timestamps: Int32Array | Float64Array }
  | { readonly type: 'records', readonly form: 'objects', readonly keys: readonly string[], readonly columns: readonly WireColumn[], readonly n: number, readonly timestamps: Int32Array | Float64Array }
  | { readonly type: 'records', readonly form: 'cloned', readonly values: unknown[], readonly timestamps: Int32Array | Float64Array }

export type EncodedElement = ControlElement | EncodedRecords

/** Shapes remembered per thread (a job with more shapes than this encodes the rest more slowly). */
const MAX_SHAPES = 256
/** Batches with fewer records are cloned as they are: compiling a shape does not pay. */
const MIN_COLUMNAR = 8

const OBJECT_PROTOTYPE = Object.prototype

interface Shape {
  readonly keys: readonly string[]
  /** Per key: how its column is kept. */
  readonly kinds: ColumnKind[]
  encode: ((values: readonly unknown[], columns: Column[]) => number) | undefined
  decode: ((n: number, columns: readonly Column[]) => unknown[]) | undefined
}

const shapes = new Map<string, Shape>()

function shapeOf (keys: string[]): Shape | undefined {
  // JSON: no two key lists share a text (a join could: ['a\0b'] and ['a', 'b'])
  const id = JSON.stringify(keys)
  let shape = shapes.get(id)
  if (shape === undefined) {
    if (shapes.size >= MAX_SHAPES) return undefined
    shape = { keys, kinds: keys.map((): ColumnKind => 'int'), encode: undefined, decode: undefined }
    shapes.set(id, shape)
  }
  return shape
}

/**
 * Compiles the loop that checks each record has exactly the shape's keys, in order, and
 * copies its values into the columns. Returns n on success; -1 when a record has another
 * shape; -(2 + j) when column j, taken as numeric, met a value that is not a number;
 * -(2 + M + j) when column j, taken as int, met a number that is not a 32-bit integer
 * (-0 included: it would come back as 0).
 */
function compileEncoder (shape: Shape): NonNullable<Shape['encode']> {
  const { keys, kinds } = shape
  const m = keys.length
  const lines: string[] = []
  lines.push('const n = values.length')
  keys.forEach((_k, j) => { lines.push(`const c${j} = columns[${j}]`) })
  lines.push('for (let i = 0; i < n; i++) {')
  lines.push('  const v = values[i]')
  lines.push('  if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== P) return -1')
  lines.push('  let j = 0')
  lines.push('  for (const k in v) { if (j === M || k !== K[j]) return -1; j++ }')
  lines.push('  if (j !== M) return -1')
  keys.forEach((k, j) => {
    const get = `v[${JSON.stringify(k)}]`
    if (kinds[j] === 'int') {
      lines.push(`  { const x = ${get}; if (typeof x !== "number") return ${-(2 + j)}; if ((x | 0) !== x || (x === 0 && 1 / x < 0)) return ${-(2 + m + j)}; c${j}[i] = x }`)
    } else if (kinds[j] === 'float') {
      lines.push(`  { const x = ${get}; if (typeof x !== "number") return ${-(2 + j)}; c${j}[i] = x }`)
    } else {
      lines.push(`  c${j}[i] = ${get}`)
    }
  })
  lines.push('}')
  lines.push('return n')
  // eslint-disable-next-line no-new-func -- a loop compiled per record shape, like Flink's generated serializers
  const make = new Function('P', 'K', 'M', `return function encodeShape (values, columns) {\n${lines.join('\n')}\n}`) as
    (p: object, k: readonly string[], m: number) => NonNullable<Shape['encode']>
  return make(OBJECT_PROTOTYPE, keys, keys.length)
}

function compileDecoder (shape: Shape): NonNullable<Shape['decode']> {
  const { keys } = shape
  const fields = keys.map((k, j) => `${JSON.stringify(k)}: c${j}[i]`).join(', ')
  const body = [
    ...keys.map((_k, j) => `const c${j} = columns[${j}]`),
    'const out = new Array(n)',
    `for (let i = 0; i < n; i++) out[i] = { ${fields} }`,
    'return out'
  ].join('\n')
  // eslint-disable-next-line no-new-func -- see compileEncoder
  return new Function('n', 'columns', body) as NonNullable<Shape['decode']>
}

/** 'int' when every value is a 32-bit integer (not -0), 'float' when every value is a number, else 'any'. */
function kindOf (values: ArrayLike<unknown>): ColumnKind {
  let kind: ColumnKind = 'int'
  for (let i = 0; i < values.length; i++) {
    const x = values[i]
    if (typeof x !== 'number') return 'any'
    if (kind === 'int' && ((x | 0) !== x || (x === 0 && 1 / x < 0))) kind = 'float'
  }
  return kind
}

/** Numbers as the typed array that keeps them: Int32Array when they are all 32-bit integers. */
function numbersOf (values: ArrayLike<number>): Int32Array | Float64Array {
  return kindOf(values) === 'int' ? Int32Array.from(values) : Float64Array.from(values)
}

/** The keys of a plain object that can be a shape, else undefined. */
function plainKeys (v: unknown): string[] | undefined {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== OBJECT_PROTOTYPE) return undefined
  const keys: string[] = []
  // for-in, as the compiled check uses: own enumerable keys when the prototype is Object's
  for (const k in v) {
    // a literal `{ "__proto__": x }` would set the prototype, not a key
    if (k === '__proto__') return undefined
    keys.push(k)
  }
  return keys.length > 0 ? keys : undefined
}

/**
 * Typed arrays of `n` items laid out in one ArrayBuffer (one transfer per batch, not one per
 * column): the 8-byte kinds first, so every view is aligned.
 */
function layout (n: number, kinds: readonly ('int' | 'float')[]): { buffer: ArrayBuffer, arrays: (Int32Array | Float64Array)[] } {
  let floats = 0
  for (const k of kinds) if (k === 'float') floats++
  const buffer = new ArrayBuffer(n * (8 * floats + 4 * (kinds.length - floats)))
  const arrays = new Array<Int32Array | Float64Array>(kinds.length)
  let offset = 0
  for (let j = 0; j < kinds.length; j++) {
    if (kinds[j] !== 'float') continue
    arrays[j] = new Float64Array(buffer, offset, n)
    offset += 8 * n
  }
  for (let j = 0; j < kinds.length; j++) {
    if (kinds[j] !== 'int') continue
    arrays[j] = new Int32Array(buffer, offset, n)
    offset += 4 * n
  }
  return { buffer, arrays }
}

/** A record batch of one shape as columns, its timestamps in the same buffer as its numeric columns. */
function encodeObjects (values: readonly unknown[], keys: string[], timestamps: readonly number[], timeKind: 'int' | 'float'):
  { keys: readonly string[], columns: Column[], timestamps: Int32Array | Float64Array, buffer: ArrayBuffer } | undefined {
  const shape = shapeOf(keys)
  if (shape === undefined) return undefined
  const n = values.length
  for (;;) {
    shape.encode ??= compileEncoder(shape)
    const numeric: ('int' | 'float')[] = [timeKind]
    for (const kind of shape.kinds) if (kind !== 'any') numeric.push(kind)
    const { buffer, arrays } = layout(n, numeric)
    let next = 1
    const columns: Column[] = shape.kinds.map(kind => kind === 'any' ? new Array<unknown>(n) : arrays[next++]!)
    const result = shape.encode(values, columns)
    if (result === n) {
      const time = arrays[0]!
      time.set(timestamps)
      return { keys: shape.keys, columns, timestamps: time, buffer }
    }
    if (result === -1) return undefined
    // a column met what its kind cannot keep: it widens for good (int -> float, number -> any)
    const at = -(result + 2)
    const m = shape.keys.length
    if (at >= m) shape.kinds[at - m] = 'float'
    else shape.kinds[at] = 'any'
    shape.encode = undefined
  }
}

/** An element as it crosses threads, and the buffers to transfer with it. */
export function encodeElement (element: StreamElement): { encoded: EncodedElement, transfer: ArrayBuffer[] } {
  if (element.type !== 'records') return { encoded: element, transfer: [] }
  return encodeRecords(element)
}

function encodeRecords (batch: RecordBatch): { encoded: EncodedRecords, transfer: ArrayBuffer[] } {
  const { values } = batch
  const timeKind = kindOf(batch.timestamps) === 'int' ? 'int' : 'float'
  if (values.length >= MIN_COLUMNAR) {
    const valueKind = kindOf(values)
    if (valueKind !== 'any') {
      const { buffer, arrays } = layout(values.length, [timeKind, valueKind])
      arrays[0]!.set(batch.timestamps)
      arrays[1]!.set(values as number[])
      return { encoded: { type: 'records', form: 'numbers', values: arrays[1]!, timestamps: arrays[0]! }, transfer: [buffer] }
    }
    const keys = plainKeys(values[0])
    const objects = keys === undefined ? undefined : encodeObjects(values, keys, batch.timestamps, timeKind)
    if (objects !== undefined) {
      const transfer: ArrayBuffer[] = [objects.buffer]
      const columns = objects.columns.map(c => {
        if (!Array.isArray(c)) return c
        const dictionary = dictionaryOf(c)
        if (dictionary === undefined) return c
        transfer.push(dictionary.indexes.buffer as ArrayBuffer)
        return dictionary
      })
      return { encoded: { type: 'records', form: 'objects', keys: objects.keys, columns, n: values.length, timestamps: objects.timestamps }, transfer }
    }
  }
  const timestamps = numbersOf(batch.timestamps)
  return { encoded: { type: 'records', form: 'cloned', values, timestamps }, transfer: [timestamps.buffer as ArrayBuffer] }
}

/** A column of strings that repeat (at most one distinct string in two) as a dictionary, else undefined. */
function dictionaryOf (column: readonly unknown[]): { dictionary: string[], indexes: Uint32Array } | undefined {
  const n = column.length
  const limit = n >> 1
  const index = new Map<string, number>()
  const dictionary: string[] = []
  const indexes = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const s = column[i]
    if (typeof s !== 'string') return undefined
    let k = index.get(s)
    if (k === undefined) {
      if (dictionary.length >= limit) return undefined
      k = dictionary.length
      dictionary.push(s)
      index.set(s, k)
    }
    indexes[i] = k
  }
  return { dictionary, indexes }
}

function columnOf (wire: WireColumn): Column {
  if (wire instanceof Float64Array || wire instanceof Int32Array || Array.isArray(wire)) return wire
  const { dictionary, indexes } = wire as { dictionary: readonly string[], indexes: Uint32Array }
  const out = new Array<unknown>(indexes.length)
  for (let i = 0; i < indexes.length; i++) out[i] = dictionary[indexes[i]!]
  return out
}

/** The element an `encodeElement` result stands for (on the receiving thread). */
export function decodeElement (encoded: EncodedElement): StreamElement {
  if (encoded.type !== 'records') return encoded
  const timestamps = Array.from(encoded.timestamps)
  switch (encoded.form) {
    case 'numbers': return { type: 'records', values: Array.from(encoded.values), timestamps }
    case 'cloned': return { type: 'records', values: encoded.values, timestamps }
    case 'objects': {
      const keys = [...encoded.keys]
      const columns = encoded.columns.map(columnOf)
      const shape = plainKeysShape(keys)
      if (shape === undefined) return { type: 'records', values: rebuild(encoded.n, keys, columns), timestamps }
      shape.decode ??= compileDecoder(shape)
      return { type: 'records', values: shape.decode(encoded.n, columns), timestamps }
    }
  }
}

function plainKeysShape (keys: string[]): Shape | undefined {
  if (keys.includes('__proto__')) return undefined
  return shapeOf(keys)
}

/** Records without a compiled shape (past MAX_SHAPES): built key by key. */
function rebuild (n: number, keys: readonly string[], columns: readonly Column[]): unknown[] {
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) {
    const o: Record<string, unknown> = {}
    for (let j = 0; j < keys.length; j++) Object.defineProperty(o, keys[j]!, { value: columns[j]![i], enumerable: true, writable: true, configurable: true })
    out[i] = o
  }
  return out
}
