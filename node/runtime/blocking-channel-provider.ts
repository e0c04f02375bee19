/**
 * Channels of one pipelined region of a batch job (see pipelined-regions.ts): between two
 * subtasks of the region an in-memory channel; to a subtask outside it a blocking partition
 * written to the block store (BlockChannelWriter), from one outside it a blocking partition
 * read from the blocks the producing region stored (BlockChannelReader). Once the region's
 * run has ended, `results()` lists the partitions it wrote.
 *
 * @example
 * const channels = new BlockingChannelProvider({ blocks, inRegion, inputs })
 * await runTasks(graph, { jobId, jobName, channels, runsHere: inRegion })
 * const partitions = await channels.results()
 */
import type { JobEdge, JobVertex } from '../graph/job-graph.ts'
import type { ChannelReader, ChannelWriter, EncodedChannelReader, EncodedChannelWriter } from './channel.ts'
import { LocalChannelProvider, type ChannelProvider } from './local-executor.ts'
import { BlockChannelReader, BlockChannelWriter, type ResultBlocks } from './blocking-channel.ts'
import { partitionKey, type ResultPartition } from './blocking-results.ts'
import { BlockingResultError } from './errors.ts'

export interface BlockingChannelProviderInit {
  readonly blocks: ResultBlocks
  /** Whether subtask `subtask` of `vertex` belongs to the region. */
  readonly inRegion: (vertex: JobVertex, subtask: number) => boolean
  /** The blocks of each partition the region reads, by `partitionKey(edge, producer, consumer)`. */
  readonly inputs: ReadonlyMap<string, readonly string[]>
  /** Credits of the region's in-memory channels. */
  readonly capacity?: number
  /** Bytes per result block (default RESULT_BLOCK_BYTES; tests use small blocks). */
  readonly blockBytes?: number
}

export class BlockingChannelProvider implements ChannelProvider {
  readonly #init: BlockingChannelProviderInit
  readonly #local: LocalChannelProvider
  readonly #writers: { edge: number, producer: number, consumer: number, writer: BlockChannelWriter }[] = []
  #fail: (err: unknown) => void = () => {}
  #signal: AbortSignal = new AbortController().signal

  constructor (init: BlockingChannelProviderInit) {
    this.#init = init
    this.#local = new LocalChannelProvider(init.capacity)
  }

  bind (fail: (err: unknown) => void, signal: AbortSignal): void {
    this.#fail = fail
    this.#signal = signal
  }

  #blockWriter (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): BlockChannelWriter {
    const writer = new BlockChannelWriter({
      blocks: this.#init.blocks,
      fail: this.#fail,
      name: `${edge.from.name}[${producer}] → ${edge.to.name}[${consumer}]`,
      ...(this.#init.blockBytes === undefined ? {} : { blockBytes: this.#init.blockBytes })
    })
    this.#writers.push({ edge: edgeIndex, producer, consumer, writer })
    return writer
  }

  #blockReader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): BlockChannelReader {
    const cids = this.#init.inputs.get(partitionKey(edgeIndex, producer, consumer))
    if (cids === undefined) {
      throw new BlockingResultError(`No result of ${edge.from.name}[${producer}] for ${edge.to.name}[${consumer}]: the region producing it has not finished`)
    }
    return new BlockChannelReader({ blocks: this.#init.blocks, cids, fail: this.#fail, signal: this.#signal, name: `${edge.from.name}[${producer}] → ${edge.to.name}[${consumer}]` })
  }

  writer (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelWriter {
    if (this.#init.inRegion(edge.to, consumer)) return this.#local.writer(edge, edgeIndex, producer, consumer)
    return this.#blockWriter(edge, edgeIndex, producer, consumer)
  }

  reader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): ChannelReader {
    if (this.#init.inRegion(edge.from, producer)) return this.#local.reader(edge, edgeIndex, producer, consumer)
    return this.#blockReader(edge, edgeIndex, producer, consumer)
  }

  encodedWriter (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelWriter {
    return this.#blockWriter(edge, edgeIndex, producer, consumer)
  }

  encodedReader (edge: JobEdge, edgeIndex: number, producer: number, consumer: number): EncodedChannelReader {
    return this.#blockReader(edge, edgeIndex, producer, consumer)
  }

  /** Records the region wrote to blocking partitions (a broadcast record once per consumer). */
  get recordsOut (): number {
    let n = 0
    for (const w of this.#writers) n += w.writer.records
    return n
  }

  /** The partitions the region wrote, once every block of them is stored (call after the run ended). */
  async results (): Promise<ResultPartition[]> {
    const out: ResultPartition[] = []
    for (const w of this.#writers) {
      out.push({ edge: w.edge, producer: w.producer, consumer: w.consumer, blocks: await w.writer.done })
    }
    return out
  }

  release (): void {
    this.#local.release()
  }
}
