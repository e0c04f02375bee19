/**
 * Stream elements as the data protocol carries them (`protocol/data.ts`) and back: the
 * runtime's elements have no channel id; the wire's carry 0 (one channel per stream).
 */
import type { WireStreamElement } from '../../protocol/data.ts'
import { END_OF_INPUT, ACTIVE, IDLE, type StreamElement } from '../runtime/stream-element.ts'

/** A runtime element as the wire carries it. */
export function toWire (element: StreamElement): WireStreamElement {
  switch (element.type) {
    case 'records': return { type: 'records', channel: 0, values: element.values, timestamps: element.timestamps }
    case 'watermark': return { type: 'watermark', channel: 0, timestamp: element.timestamp }
    case 'status': return { type: 'status', channel: 0, idle: element.idle }
    case 'end': return { type: 'end', channel: 0 }
    case 'barrier': return { type: 'barrier', channel: 0, checkpointId: element.checkpointId }
  }
}

/** A wire element as the runtime reads it. */
export function fromWire (m: WireStreamElement): StreamElement {
  switch (m.type) {
    case 'records': return { type: 'records', values: m.values as unknown[], timestamps: m.timestamps as number[] }
    case 'watermark': return { type: 'watermark', timestamp: m.timestamp }
    case 'status': return m.idle ? IDLE : ACTIVE
    case 'end': return END_OF_INPUT
    case 'barrier': return { type: 'barrier', checkpointId: m.checkpointId }
  }
}
