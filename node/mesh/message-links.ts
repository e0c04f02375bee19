/**
 * Outgoing control messages to other peers, one long-lived stream per peer and protocol.
 * `send` only queues: a writer per peer opens the stream when needed (dialling by peer id),
 * writes everything queued as one batch of frames and reopens the stream after a failure.
 * Queues are bounded: when a peer cannot keep up or cannot be reached the oldest messages
 * are dropped, which suits protocols whose messages are retried or superseded (Raft,
 * heartbeats). Messages to one peer keep their order.
 *
 * @example
 * const links = new MessageLinks(node, RAFT_CODEC)
 * links.send(peerId, envelope)
 * await links.stop()
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger, type Logger } from '@libp2p/logger'
import type { MessageCodec } from '../../protocol/codec.ts'
import { sendMessages } from '../../protocol/message-handler.ts'
import { CONTROL_STREAM_LIMITS } from './constants.ts'
import { errorMessage } from '../../protocol/error-message.ts'

export interface MessageLinksInit {
  /** Messages queued per peer before the oldest are dropped (default 1024). */
  readonly maxQueued?: number
  /** How long to wait for a stream to open (default 2000 ms). */
  readonly dialTimeoutMs?: number
  /** Pause after a failed dial or write before retrying (default 200 ms). */
  readonly retryMs?: number
  readonly log?: Logger
}

class Link<T> {
  readonly peer: PeerId
  queue: T[] = []
  stream: Stream | undefined
  writing = false
  dropped = 0
  constructor (peer: PeerId) { this.peer = peer }
}

export class MessageLinks<T> {
  readonly #node: Libp2p
  readonly #codec: MessageCodec<T>
  readonly #links = new Map<string, Link<T>>()
  readonly #maxQueued: number
  readonly #dialTimeoutMs: number
  readonly #retryMs: number
  readonly #log: Logger
  readonly #controller = new AbortController()

  constructor (node: Libp2p, codec: MessageCodec<T>, init: MessageLinksInit = {}) {
    this.#node = node
    this.#codec = codec
    this.#maxQueued = init.maxQueued ?? 1024
    this.#dialTimeoutMs = init.dialTimeoutMs ?? 2000
    this.#retryMs = init.retryMs ?? 200
    this.#log = init.log ?? logger(`meshflow:mesh:links:${codec.protocol}`)
  }

  /** Queues `message` for `peer`; returns false when the link is stopped. */
  send (peer: string, message: T): boolean {
    if (this.#controller.signal.aborted) return false
    let link = this.#links.get(peer)
    if (link === undefined) {
      link = new Link<T>(peerIdFromString(peer))
      this.#links.set(peer, link)
    }
    link.queue.push(message)
    if (link.queue.length > this.#maxQueued) {
      link.queue.splice(0, link.queue.length - this.#maxQueued)
      link.dropped++
    }
    if (!link.writing) {
      link.writing = true
      // the writer runs until the queue is empty; its errors are handled inside
      void this.#write(link)
    }
    return true
  }

  /** Closes the stream to `peer` and forgets what is queued for it. */
  drop (peer: string): void {
    const link = this.#links.get(peer)
    if (link === undefined) return
    this.#links.delete(peer)
    link.queue = []
    link.stream?.abort(new Error('Peer dropped'))
    link.stream = undefined
  }

  async #write (link: Link<T>): Promise<void> {
    const signal = this.#controller.signal
    try {
      while (link.queue.length > 0 && !signal.aborted) {
        if (link.stream === undefined || link.stream.status !== 'open') {
          try {
            link.stream = await this.#node.dialProtocol(link.peer, this.#codec.protocol, {
              signal: AbortSignal.any([signal, AbortSignal.timeout(this.#dialTimeoutMs)]),
              ...CONTROL_STREAM_LIMITS
            })
            // we only write on this stream: drain whatever the remote sends so it never blocks
            void this.#drain(link.stream)
          } catch (err) {
            this.#log('cannot open a stream to %p: %s', link.peer, errorMessage(err))
            link.queue = []
            await this.#pause(signal)
            continue
          }
        }
        const batch = link.queue
        link.queue = []
        // drop() or stop() may take the link's stream away while this write waits
        const stream = link.stream
        try {
          await sendMessages(stream, this.#codec, batch, { signal })
        } catch (err) {
          this.#log('write to %p failed: %s', link.peer, errorMessage(err))
          stream.abort(err instanceof Error ? err : new Error(String(err)))
          if (link.stream === stream) link.stream = undefined
          await this.#pause(signal)
        }
      }
    } catch (err) {
      // a writer runs detached from any caller: it must never throw
      this.#log.error('writer for %p stopped: %s', link.peer, errorMessage(err))
    } finally {
      link.writing = false
    }
  }

  async #drain (stream: Stream): Promise<void> {
    try {
      for await (const _ of stream) { /* the remote has nothing to say on this stream */ }
    } catch {
      // the writer notices a broken stream on its next write
    }
  }

  /** Waits before a retry; stopping ends the wait early, and the writer's loop sees the signal. */
  async #pause (signal: AbortSignal): Promise<void> {
    await sleep(this.#retryMs, undefined, { signal }).catch(() => {})
  }

  /** Resolves once everything queued has been written, or after `timeoutMs`. */
  async flush (timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
      let busy = false
      for (const link of this.#links.values()) if (link.writing || link.queue.length > 0) busy = true
      if (!busy) return
      await sleep(5)
    }
  }

  /** Stops every writer and closes every stream. */
  async stop (): Promise<void> {
    if (this.#controller.signal.aborted) return
    this.#controller.abort()
    const closing: Promise<void>[] = []
    for (const link of this.#links.values()) {
      link.queue = []
      const s = link.stream
      link.stream = undefined
      if (s !== undefined) closing.push(s.close({ signal: AbortSignal.timeout(500) }).catch(() => { s.abort(new Error('Stopping')) }))
    }
    this.#links.clear()
    await Promise.all(closing)
  }
}
