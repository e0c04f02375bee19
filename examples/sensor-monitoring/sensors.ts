/**
 * The deterministic sensor readings of the sensor-monitoring example. Time advances in
 * one-second slots from `START_MS`; every sensor reports once per slot while it is in a
 * burst, and is silent between bursts for longer than the job's session gap. In some
 * bursts a sensor overheats: its middle third reads `SPIKE_C` degrees hotter, above the
 * alert threshold. Readings are jittered by up to `MAX_JITTER_MS` inside their slot, so the
 * stream is slightly out of order (less than the job's 1 s bound: nothing is late).
 *
 * `sensorReadings(count)` builds the whole stream up front, which is what lets a test
 * recompute every expected result from the same array.
 *
 * @example
 * const readings = sensorReadings(5_000) // [{ sensor: 'boiler-1', temp: 61.3, ts: … }, …]
 */

export interface Reading {
  readonly sensor: string
  /** Degrees Celsius, one decimal. */
  readonly temp: number
  /** Event time, epoch milliseconds. */
  readonly ts: number
}

/** 2024-03-01T08:00:00Z. */
export const START_MS = Date.UTC(2024, 2, 1, 8, 0, 0)
export const SLOT_MS = 1_000
export const MAX_JITTER_MS = 600
/** Default alert threshold, degrees Celsius. */
export const THRESHOLD_C = 75
export const SPIKE_C = 30

interface SensorProfile {
  readonly name: string
  /** Normal temperature. */
  readonly baseC: number
  /** Seconds of readings per burst, and seconds of silence after it. */
  readonly burstS: number
  readonly pauseS: number
  /** Shifts the sensor's cycle so bursts of different sensors do not line up. */
  readonly phaseS: number
  /** Share of the bursts that overheat. */
  readonly spikeShare: number
}

export const SENSORS: readonly SensorProfile[] = [
  { name: 'boiler-1', baseC: 58, burstS: 40, pauseS: 50, phaseS: 0, spikeShare: 0.3 },
  { name: 'boiler-2', baseC: 61, burstS: 25, pauseS: 65, phaseS: 17, spikeShare: 0.5 },
  { name: 'freezer-1', baseC: -18, burstS: 30, pauseS: 45, phaseS: 33, spikeShare: 0 },
  { name: 'oven-1', baseC: 52, burstS: 45, pauseS: 40, phaseS: 8, spikeShare: 0.2 },
  { name: 'pump-1', baseC: 40, burstS: 20, pauseS: 70, phaseS: 51, spikeShare: 0 },
  { name: 'pump-2', baseC: 44, burstS: 35, pauseS: 55, phaseS: 26, spikeShare: 0.25 }
]

/** A well-mixed hash of `(i, salt)` to [0, 1) (splitmix32-style finaliser). */
export function unitHash (i: number, salt: number): number {
  let h = (Math.imul(i, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca77)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}

/** The reading of sensor `s` in slot `t`, or `undefined` when it is silent then. */
function readingAt (s: number, t: number): Reading | undefined {
  const p = SENSORS[s]!
  const cycle = p.burstS + p.pauseS
  const pos = (t + p.phaseS) % cycle
  if (pos >= p.burstS) return undefined
  const burst = Math.floor((t + p.phaseS) / cycle)
  const overheats = unitHash(burst, 100 + s) < p.spikeShare && pos >= p.burstS / 3 && pos < 2 * p.burstS / 3
  const noise = (unitHash(t, 200 + s) - 0.5) * 3
  const drift = 4 * Math.sin(2 * Math.PI * t / 97 + s)
  const temp = Math.round((p.baseC + drift + noise + (overheats ? SPIKE_C : 0)) * 10) / 10
  const jitter = Math.floor(unitHash(t, 300 + s) * (MAX_JITTER_MS + 1))
  return { sensor: p.name, temp, ts: START_MS + t * SLOT_MS + jitter }
}

/** The first `count` readings, slot by slot (within a slot, by sensor). */
export function sensorReadings (count: number): Reading[] {
  const out: Reading[] = []
  for (let t = 0; out.length < count; t++) {
    for (let s = 0; s < SENSORS.length && out.length < count; s++) {
      const r = readingAt(s, t)
      if (r !== undefined) out.push(r)
    }
  }
  return out
}

/** Temperature in tenths of a degree: sums of these are exact in any order. */
export function tenthsOf (temp: number): number {
  return Math.round(temp * 10)
}
