/**
 * Channels of a job whose subtasks are spread over peers: in-memory channels between
 * subtasks on this peer, network channels (DataService) to and from subtasks elsewhere.
 */
import type { JobEdge, JobVertex } from '../graph/job-graph.ts'
import type { ChannelReader, ChannelWriter, EncodedChannelReader, EncodedChannelWriter } from '../runtime/channel.ts'
import { LocalChannelProvider, type ChannelProvider } from '../runtime/local-executor.ts'
import type { DataService, RemoteOutputChannel } from './data-service.ts'

export interface MeshChannelProviderInit {
  readonly selfId: string
  readonly jobId: string
  readonly attempt: number
  readonly data: DataService
  /** The peer that runs subtask `subtask` of `vertex`. */
  readonly placement: (vertex: JobVertex, subtask: number) => string
  readonly capacity?: number
}

export class MeshChannelProvider implements ChannelProvider {
  readonly #init: MeshChannelProviderInit
  readonly #local: LocalChannelProvider
  readonly #remoteWriters: RemoteOutputChannel[] = []
  #fail: (err: unknown) => void = () => {}
  #signal: AbortSignal = new AbortController().signal

  constructor (init: MeshChannelProviderInit) {
    this.#init = init
    this.#local = new LocalChannelProvider(init.capacity)
  }

  bind (fail: (err: unknown) => void, signal: AbortSignal): void {
    this.#fail = fail
    this.#signal = signal
  }

  #key (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): Parameters<DataService['reader']>[0] {
    return {
      jobId: this.#init.jobId,
      attempt: this.#init.attempt,
      producerVertex: `${edge.from.id}#${edgeIndex}`,
      producerSubtask: producer,
      consumerVertex: edge.to.id,
      consumerSubtask: consumer
    }
  }

  writer (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelWriter {
    const peer = this.#init.placement(edge.to, consumer)
    if (peer === this.#init.selfId) return this.#local.writer(edge, edgeIndex, producer, consumer)
    const w = this.#init.data.writer(peer, this.#key(edge, edgeIndex, producer, consumer), this.#fail, this.#signal)
    this.#remoteWriters.push(w)
    return w
  }

  reader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelReader {
    const peer = this.#init.placement(edge.from, producer)
    if (peer === this.#init.selfId) return this.#local.reader(edge, edgeIndex, producer, consumer)
    return this.#init.data.reader(this.#key(edge, edgeIndex, producer, consumer), peer, this.#fail)
  }

  encodedWriter (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelWriter {
    const peer = this.#init.placement(edge.to, consumer)
    if (peer === this.#init.selfId) throw new Error(`${edge.to.id}[${consumer}] runs on this peer: its channel is not a network channel`)
    const w = this.#init.data.writer(peer, this.#key(edge, edgeIndex, producer, consumer), this.#fail, this.#signal)
    this.#remoteWriters.push(w)
    return w
  }

  encodedReader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelReader {
    const peer = this.#init.placement(edge.from, producer)
    if (peer === this.#init.selfId) throw new Error(`${edge.from.id}[${producer}] runs on this peer: its channel is not a network channel`)
    return this.#init.data.reader(this.#key(edge, edgeIndex, producer, consumer), peer, this.#fail, { encoded: true })
  }

  release (failure?: unknown): void {
    this.#local.release()
    // consumers on other peers learn why this peer's subtasks failed (see RemoteOutputChannel.abort)
    for (const w of this.#remoteWriters) w.abort(new Error('The job ended'), failure)
  }
}
