/**
 * Combines the watermarks of a task's input channels into one (Flink's
 * StatusWatermarkValve): the output watermark is the minimum over the channels that are
 * active and aligned, and never goes backwards.
 *
 * - An idle channel is left out of the minimum; when every channel is idle the task's
 *   output turns idle too, after flushing the highest watermark of any channel (no channel
 *   is left that could still hold it back). A channel that turns active again rejoins the
 *   minimum once its watermark has caught up with the output watermark (until then it is
 *   "unaligned").
 * - An ended channel counts as watermark +Infinity, so a finished input never holds back
 *   the others and the end of all inputs yields the final watermark.
 */
export class WatermarkValve {
  readonly #watermarks: number[]
  readonly #idle: boolean[]
  readonly #aligned: boolean[]
  readonly #emitWatermark: (watermark: number) => void
  readonly #emitStatus: (idle: boolean) => void
  #current = Number.NEGATIVE_INFINITY
  #outputIdle = false

  constructor (channels: number, emitWatermark: (watermark: number) => void, emitStatus: (idle: boolean) => void) {
    this.#watermarks = new Array<number>(channels).fill(Number.NEGATIVE_INFINITY)
    this.#idle = new Array<boolean>(channels).fill(false)
    this.#aligned = new Array<boolean>(channels).fill(true)
    this.#emitWatermark = emitWatermark
    this.#emitStatus = emitStatus
  }

  /** The last watermark emitted. */
  get current (): number { return this.#current }

  get idle (): boolean { return this.#outputIdle }

  onWatermark (channel: number, watermark: number): void {
    if (this.#idle[channel] === true) this.onStatus(channel, false)
    if (watermark <= this.#watermarks[channel]!) return
    this.#watermarks[channel] = watermark
    if (!this.#aligned[channel]! && watermark >= this.#current) this.#aligned[channel] = true
    this.#advance()
  }

  onStatus (channel: number, idle: boolean): void {
    if (this.#idle[channel] === idle) return
    this.#idle[channel] = idle
    if (idle) {
      this.#aligned[channel] = false
      if (this.#idle.every(Boolean)) {
        // the last active channel went idle: as Flink does, flush the highest watermark
        // (only needed when that channel was the one holding the output at its minimum)
        if (this.#watermarks[channel] === this.#current) this.#flushMax()
        this.#outputIdle = true
        this.#emitStatus(true)
      } else {
        this.#advance()
      }
    } else {
      if (this.#watermarks[channel]! >= this.#current) this.#aligned[channel] = true
      if (this.#outputIdle) {
        this.#outputIdle = false
        this.#emitStatus(false)
      }
    }
  }

  /** The channel ended: it counts as +Infinity from now on. */
  onEnd (channel: number): void {
    this.#idle[channel] = false
    this.#aligned[channel] = true
    this.#watermarks[channel] = Number.POSITIVE_INFINITY
    if (this.#outputIdle) {
      this.#outputIdle = false
      this.#emitStatus(false)
    }
    this.#advance()
  }

  #flushMax (): void {
    let max = Number.NEGATIVE_INFINITY
    for (const w of this.#watermarks) if (w > max) max = w
    if (max > this.#current) {
      this.#current = max
      this.#emitWatermark(max)
    }
  }

  #advance (): void {
    let min = Number.POSITIVE_INFINITY
    let any = false
    const n = this.#watermarks.length
    for (let i = 0; i < n; i++) {
      if (this.#idle[i]! || !this.#aligned[i]!) continue
      any = true
      const w = this.#watermarks[i]!
      if (w < min) min = w
    }
    if (any && min > this.#current) {
      this.#current = min
      this.#emitWatermark(min)
    }
  }
}
