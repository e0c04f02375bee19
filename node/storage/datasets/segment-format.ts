/**
 * The byte layout of a dataset segment (format version 1), shared by the encoder
 * (segment-codec.ts) and the reader (segment-reader.ts). Columnar, little-endian, every
 * section 8-byte aligned so a reader views numeric columns in place:
 *
 *     0  u32  magic "MFSG"
 *     4  u8   format version (1)
 *     5  u8   0
 *     6  u16  column count C
 *     8  u32  rows N
 *    12  u32  byte length of the whole segment
 *    16  C column entries of 32 bytes:
 *         +0 u8 type  +1 u8 encoding  +2 u16 name length  +4 u32 name offset
 *         +8 u32 null count  +12 u32 null bitmap offset (0: no nulls)
 *         +16 u32 data offset  +20 u32 data length
 *         +24 u32 dictionary offset  +28 u32 dictionary count
 *    then names (UTF-8), null bitmaps, data and dictionaries, each section 8-aligned.
 *
 * A null bitmap has bit (i & 7) of byte (i >> 3) set when row i is null; a null row's data
 * slot holds 0. Encodings: float64 (Float64Array), int32 (a number or timestamp column
 * whose non-null values are all 32-bit integers, -0 excluded), int64 (BigInt64Array),
 * bits (booleans, 8 a byte), dict8/16/32 (strings: u8/u16/u32 indexes into a dictionary of
 * u32 offsets [count + 1] then UTF-8 bytes), utf8 (strings: u32 offsets [N + 1] then UTF-8
 * bytes).
 */
import type { ColumnType } from '../../api/dataset-schema.ts'

/** Bytes of the segment header, before the column entries. */
export const HEADER_BYTES = 16
/** Bytes of one column entry. */
export const ENTRY_BYTES = 32

/** A column type's code in its entry (byte 0), and back. */
export const TYPE_CODES: Readonly<Record<ColumnType, number>> = { string: 0, number: 1, int64: 2, boolean: 3, timestamp: 4 }
export const TYPE_NAMES: readonly ColumnType[] = ['string', 'number', 'int64', 'boolean', 'timestamp']

/** How a column's data is laid out (byte 1 of its entry). */
export const ENCODING = { float64: 0, int32: 1, int64: 2, bits: 3, dict8: 4, dict16: 5, dict32: 6, utf8: 7 } as const
export type Encoding = typeof ENCODING[keyof typeof ENCODING]

/** `n` rounded up to a multiple of 8. */
export function align8 (n: number): number {
  return (n + 7) & ~7
}

/** Bytes of a bitmap of `rows` bits. */
export function bitmapBytes (rows: number): number {
  return (rows + 7) >>> 3
}

/** Typed arrays view the platform's byte order; the format is little-endian. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
