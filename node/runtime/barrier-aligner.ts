/**
 * Exactly-once barrier alignment for a task with input channels (Flink's aligned
 * checkpoints): the first barrier of a checkpoint starts an alignment; each channel that
 * delivered it is held back (InputGate.block) so that nothing after the barrier is
 * processed before the snapshot; once the barrier came on every channel still open (an
 * ended channel counts as aligned), `complete` snapshots and forwards it, and the
 * channels are released. A newer barrier during an alignment abandons the older
 * checkpoint; barriers of checkpoints already taken or abandoned are ignored.
 */
import type { InputGate } from './input-gate.ts'

export class BarrierAligner {
  readonly #gate: InputGate
  readonly #complete: (checkpointId: number) => Promise<void>
  /** The checkpoint being aligned (-1: none), and on how many channels its barrier came. */
  #aligning = -1
  #aligned = 0
  /** The highest checkpoint id seen (a restored task starts from the restored one). */
  lastCheckpointId: number

  constructor (gate: InputGate, complete: (checkpointId: number) => Promise<void>, lastCheckpointId = 0) {
    this.#gate = gate
    this.#complete = complete
    this.lastCheckpointId = lastCheckpointId
  }

  /** A barrier arrived on `channel`; `open` channels have not ended. */
  async onBarrier (channel: number, checkpointId: number, open: number): Promise<void> {
    if (checkpointId <= this.lastCheckpointId && checkpointId !== this.#aligning) return
    if (checkpointId > this.#aligning) {
      // a newer checkpoint overtakes one still aligning: that one is abandoned
      if (this.#aligning >= 0) this.#gate.releaseAll()
      this.#aligning = checkpointId
      this.#aligned = 0
      this.lastCheckpointId = checkpointId
    }
    this.#gate.block(channel)
    this.#aligned++
    if (this.#aligned >= open) await this.#finish()
  }

  /** A channel ended; `open` channels are left: an alignment waiting only for it completes. */
  async onEnd (open: number): Promise<void> {
    if (this.#aligning >= 0 && this.#aligned >= open) await this.#finish()
  }

  async #finish (): Promise<void> {
    const checkpointId = this.#aligning
    this.#aligning = -1
    this.#aligned = 0
    await this.#complete(checkpointId)
    this.#gate.releaseAll()
  }
}
