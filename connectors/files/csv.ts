/**
 * CSV rows per RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): fields separated by a
 * delimiter, a field may be enclosed in double quotes and must be when it holds the
 * delimiter, a quote or a line break; a quote inside a quoted field is written twice.
 *
 * The source cuts files into records with a quote-aware LineSplitter, so a row handed to
 * `parseCsvLine` may span lines: the line breaks inside its quoted fields are kept as
 * written (`\n` or `\r\n`), and what the sink writes reads back the same.
 *
 * @example
 * parseCsvLine('a,"b,c","say ""hi"""')   // ['a', 'b,c', 'say "hi"']
 * encodeCsvRow(['a', 'b,c', 'say "hi"'])  // 'a,"b,c","say ""hi"""'
 */
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { CsvSyntaxError } from './errors.ts'

const QUOTE = 0x22

/** Checks a delimiter: non-empty, and no quote or line break in it. */
export function checkDelimiter (delimiter: unknown): string {
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/.test(delimiter)) {
    throw new InvalidArgumentError(`CSV delimiter must be a non-empty string without quotes or line breaks, got ${JSON.stringify(delimiter)}`)
  }
  return delimiter
}

/**
 * The fields of one CSV row (without its line terminator; quoted fields may hold line breaks).
 *
 * @throws {CsvSyntaxError} on an unterminated quoted field, text after a closing quote, or
 * a quote inside an unquoted field.
 */
export function parseCsvLine (line: string, delimiter = ','): string[] {
  // fast path: without quotes a row is a plain split
  if (line.indexOf('"') === -1) return line.split(delimiter)
  const fields: string[] = []
  const n = line.length
  let i = 0
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let value = ''
      let from = i + 1
      for (;;) {
        const q = line.indexOf('"', from)
        if (q === -1) throw new CsvSyntaxError('Unterminated quoted field (no quote closes it)', i + 1)
        if (line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1)
          from = q + 2
          continue
        }
        value += line.slice(from, q)
        i = q + 1
        break
      }
      fields.push(value)
      if (i >= n) return fields
      if (!line.startsWith(delimiter, i)) throw new CsvSyntaxError('Unexpected text after a closing quote', i + 1)
      i += delimiter.length
    } else {
      const d = line.indexOf(delimiter, i)
      const field = d === -1 ? line.slice(i) : line.slice(i, d)
      const q = field.indexOf('"')
      if (q !== -1) throw new CsvSyntaxError('Quote inside an unquoted field (enclose the field in quotes and double the quote)', i + q + 1)
      fields.push(field)
      if (d === -1) return fields
      i = d + delimiter.length
    }
  }
}

/** The text of one field: strings as they are, null/undefined empty, dates in ISO form, objects as JSON. */
export function csvFieldText (value: unknown): string {
  switch (typeof value) {
    case 'string': return value
    case 'number':
    case 'boolean':
    case 'bigint': return String(value)
    case 'undefined': return ''
    case 'object':
      if (value === null) return ''
      if (value instanceof Date) return value.toISOString()
      return JSON.stringify(value)
    default: return String(value)
  }
}

/** One field, quoted when it holds the delimiter, a quote or a line break. */
export function encodeCsvField (value: unknown, delimiter = ','): string {
  const s = csvFieldText(value)
  // with a delimiter of several characters, a field holding a part of it is ambiguous at
  // its edges too (':' then '::' reads as '::' then ':'): quote it
  const delimited = delimiter.length === 1 ? s.includes(delimiter) : [...delimiter].some(ch => s.includes(ch))
  if (delimited || s.includes('"') || s.includes('\n') || s.includes('\r')) {
    return '"' + s.replaceAll('"', '""') + '"'
  }
  return s
}

/**
 * One CSV row, without a line terminator. A row of one empty field is written `""` so
 * that it is not an empty line (which readers skip).
 */
export function encodeCsvRow (values: readonly unknown[], delimiter = ','): string {
  if (values.length === 1) {
    const only = encodeCsvField(values[0], delimiter)
    return only === '' ? '""' : only
  }
  let row = ''
  for (let i = 0; i < values.length; i++) {
    if (i > 0) row += delimiter
    row += encodeCsvField(values[i], delimiter)
  }
  return row
}
