/**
 * The channels of a task worker's subtasks: in-memory LocalChannels between two subtasks
 * on this worker, port channels (port-channel.ts) to subtasks on other workers of the
 * process, and to the main thread for subtasks on other peers (which it relays to the
 * network).
 */
import type { JobEdge } from '../../graph/job-graph.ts'
import type { ChannelReader, ChannelWriter } from '../channel.ts'
import { LocalChannelProvider, type ChannelProvider } from '../local-executor.ts'
import { subtaskKey } from '../checkpoint-manifest.ts'
import { THREAD_CODEC, WIRE_CODEC, type PortLink } from './port-channel.ts'
import { MAIN_THREAD } from './thread-messages.ts'

/** A channel's id on a link: the same on both threads, unique within a job attempt. */
export function channelId (edgeIndex: number, producer: number, consumer: number): string {
  return `${edgeIndex}:${producer}:${consumer}`
}

/**
 * A channel between threads holds this many times the job's channel capacity: a credit
 * takes a wake-up of the other thread to come back, and with the in-memory capacity alone
 * the threads wait on each other (measured: p=2 of the keyed-window benchmark 10% faster).
 */
export const THREAD_CAPACITY_FACTOR = 4

export interface ThreadChannelProviderInit {
  /** This worker's index. */
  readonly self: number
  readonly capacity: number
  /** subtaskKey -> the thread its subtask runs on (a worker index, or MAIN_THREAD). */
  readonly locations: ReadonlyMap<string, number>
  /** The link to each other thread. */
  readonly links: ReadonlyMap<number, PortLink>
}

export class ThreadChannelProvider implements ChannelProvider {
  readonly #init: ThreadChannelProviderInit
  readonly #local: LocalChannelProvider
  readonly #capacity: number

  constructor (init: ThreadChannelProviderInit) {
    this.#init = init
    this.#local = new LocalChannelProvider(init.capacity)
    this.#capacity = init.capacity * THREAD_CAPACITY_FACTOR
  }

  /** The link to the thread of a subtask (undefined: this one), and its codec. */
  #link (vertexId: string, subtask: number): { link: PortLink, codec: typeof THREAD_CODEC } | undefined {
    const where = this.#init.locations.get(subtaskKey(vertexId, subtask))
    if (where === undefined) throw new Error(`No thread is known for ${vertexId}[${subtask}]`)
    if (where === this.#init.self) return undefined
    const link = this.#init.links.get(where)
    if (link === undefined) throw new Error(`No link to thread ${where} for ${vertexId}[${subtask}]`)
    // the main thread relays to another peer: it gets network bytes, made (and read) here
    return { link, codec: where === MAIN_THREAD ? WIRE_CODEC : THREAD_CODEC }
  }

  writer (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelWriter {
    const to = this.#link(edge.to.id, consumer)
    if (to === undefined) return this.#local.writer(edge, edgeIndex, producer, consumer)
    return to.link.writer(channelId(edgeIndex, producer, consumer), this.#capacity, to.codec)
  }

  reader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelReader {
    const from = this.#link(edge.from.id, producer)
    if (from === undefined) return this.#local.reader(edge, edgeIndex, producer, consumer)
    return from.link.reader(channelId(edgeIndex, producer, consumer), this.#capacity, from.codec)
  }

  release (): void {
    this.#local.release()
    for (const link of this.#init.links.values()) link.release()
  }
}
