/**
 * Benchmark: the data-plane codec on 1024-record batches — encodeDataMessage +
 * decodeDataMessage (cbor-x records, with full validation) against JSON.stringify +
 * JSON.parse of the same batch (no validation) in the same run, plus framing. Prints one
 * JSON line per result.
 *
 *   node test/bench/codec.ts            (MESHFLOW_BENCH_BATCHES=3000 by default)
 */
import { decodeDataMessage, encodeDataMessage } from '../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import type { WireRecordBatch } from '../../protocol/data.ts'

const BATCHES = Number(process.env.MESHFLOW_BENCH_BATCHES ?? 3000)
const RECORDS = 1024

interface Shape { name: string, make: (i: number) => unknown }
const shapes: Shape[] = [
  // the sensor job's events: a short string key, an integer timestamp, a float, a flag
  { name: 'sensor', make: i => ({ sensor: `sensor-${i % 50}`, ts: 1_700_000_000_000 + i, value: 20 + (i % 100) / 7, ok: i % 3 !== 0 }) },
  // the retail job's sales: more and longer strings
  { name: 'sale', make: i => ({ store: `store-${i % 200}`, sku: `SKU-${(i * 7919) % 100_000}`, customer: `customer-${i}@example.com`, amount: (i % 1000) / 10, ts: 1_700_000_000_000 + i }) },
  // small integer tuples
  { name: 'tuple', make: i => [i, i % 1000, i * 3] }
]

function time (fn: () => void): number {
  for (let i = 0; i < Math.min(300, BATCHES); i++) fn() // warm up
  const started = performance.now()
  for (let i = 0; i < BATCHES; i++) fn()
  return performance.now() - started
}

function line (o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

for (const shape of shapes) {
  const values = Array.from({ length: RECORDS }, (_, i) => shape.make(i))
  const batch: WireRecordBatch = { type: 'records', channel: 3, values, timestamps: values.map((_, i) => 1_700_000_000_000 + i) }
  const cborBytes = encodeDataMessage(batch)
  const jsonText = JSON.stringify(batch)
  const jsonBytes = Buffer.byteLength(jsonText)
  let sink = 0

  const encodeMs = time(() => { sink += encodeDataMessage(batch).length })
  const decodeMs = time(() => { sink += (decodeDataMessage(cborBytes) as WireRecordBatch).values.length })
  const roundTripMs = time(() => { sink += (decodeDataMessage(encodeDataMessage(batch)) as WireRecordBatch).values.length })
  const jsonStringifyMs = time(() => { sink += JSON.stringify(batch).length })
  const jsonParseMs = time(() => { sink += (JSON.parse(jsonText) as WireRecordBatch).values.length })
  const jsonRoundTripMs = time(() => { sink += (JSON.parse(JSON.stringify(batch)) as WireRecordBatch).values.length })
  const perSec = (ms: number): number => Math.round(BATCHES * RECORDS / ms * 1000)
  line({
    bench: 'codec',
    shape: shape.name,
    recordsPerBatch: RECORDS,
    batches: BATCHES,
    cborBytesPerBatch: cborBytes.length,
    jsonBytesPerBatch: jsonBytes,
    encodeRecordsPerSec: perSec(encodeMs),
    decodeRecordsPerSec: perSec(decodeMs),
    roundTripRecordsPerSec: perSec(roundTripMs),
    jsonStringifyRecordsPerSec: perSec(jsonStringifyMs),
    jsonParseRecordsPerSec: perSec(jsonParseMs),
    jsonRoundTripRecordsPerSec: perSec(jsonRoundTripMs),
    roundTripVsJson: Number((jsonRoundTripMs / roundTripMs).toFixed(2)),
    sink: sink > 0
  })
}

// framing: 1024-record batches through encodeFrame and decodeFrames in 64 KiB chunks
{
  const values = Array.from({ length: RECORDS }, (_, i) => shapes[0]!.make(i))
  const payload = encodeDataMessage({ type: 'records', channel: 0, values, timestamps: values.map((_, i) => i) })
  const frames = Array.from({ length: 200 }, () => encodeFrame(payload))
  const stream = Buffer.concat(frames)
  const chunks: Uint8Array[] = []
  for (let at = 0; at < stream.length; at += 64 * 1024) chunks.push(stream.subarray(at, at + 64 * 1024))
  const rounds = Math.max(1, Math.round(BATCHES / 200))
  const started = performance.now()
  let n = 0
  for (let r = 0; r < rounds; r++) {
    for await (const p of decodeFrames(chunks, { maxBytes: 16 * 1024 * 1024 })) n += p.length
  }
  const ms = performance.now() - started
  line({ bench: 'framing', frameBytes: payload.length + 3, frames: rounds * 200, decodeMBPerSec: Math.round(n / ms / 1000), sink: n > 0 })
}
