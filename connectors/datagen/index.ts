/**
 * A deterministic generator source: record `i` is `generate(i)` for `i` in `0..count-1`
 * (or without end when `count` is left out). Indices are split by stride across a fixed
 * number of splits (split k yields k, k+n, k+2n …), so every subtask moves through the
 * index range, and event time, at the same pace. A split's state is its next index, so a
 * restored job replays exactly.
 *
 * @example
 * import { datagen } from 'meshflow/connectors/datagen'
 * env.fromSource(datagen({ count: 1_000_000, generate: i => ({ id: i, ts: i * 10 }) }), strategy, 'events')
 */
export { datagen, type DatagenOptions, type DatagenSplit } from './source.ts'
