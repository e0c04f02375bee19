/**
 * WatermarkValve: the watermark of a task with several input channels (Flink's
 * StatusWatermarkValve): the minimum over active, aligned channels, never going back.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { WatermarkValve } from '../../../node/runtime/watermark-valve.ts'

const WatermarkValveSuite = suite('WatermarkValve')

type Event = ['wm', number] | ['idle', boolean]

function valve (channels: number): { v: WatermarkValve, events: Event[], take: () => Event[] } {
  const events: Event[] = []
  const v = new WatermarkValve(channels, w => { events.push(['wm', w]) }, idle => { events.push(['idle', idle]) })
  return { v, events, take: () => events.splice(0) }
}

WatermarkValveSuite('emits the minimum over all channels once every channel has a watermark', () => {
  const { v, take } = valve(3)
  v.onWatermark(0, 10)
  v.onWatermark(1, 5)
  assert.equal(take(), [], 'channel 2 has no watermark yet')
  v.onWatermark(2, 7)
  assert.equal(take(), [['wm', 5]])
  v.onWatermark(1, 20)
  assert.equal(take(), [['wm', 7]])
  v.onWatermark(2, 30)
  assert.equal(take(), [['wm', 10]])
  assert.is(v.current, 10)
})

WatermarkValveSuite('never goes backwards and ignores a channel watermark that did not advance', () => {
  const { v, take } = valve(2)
  v.onWatermark(0, 10)
  v.onWatermark(1, 10)
  assert.equal(take(), [['wm', 10]])
  v.onWatermark(0, 4)
  v.onWatermark(0, 10)
  v.onWatermark(1, 10)
  assert.equal(take(), [])
  v.onWatermark(0, 11)
  assert.equal(take(), [], 'the minimum is still 10')
})

WatermarkValveSuite('a single channel passes its watermarks through', () => {
  const { v, take } = valve(1)
  v.onWatermark(0, -5)
  v.onWatermark(0, 3)
  assert.equal(take(), [['wm', -5], ['wm', 3]])
})

WatermarkValveSuite('an idle channel is left out of the minimum', () => {
  const { v, take } = valve(2)
  v.onWatermark(0, 10)
  assert.equal(take(), [])
  v.onStatus(1, true)
  assert.equal(take(), [['wm', 10]], 'the channel that never sent a watermark no longer holds back')
  v.onWatermark(0, 15)
  assert.equal(take(), [['wm', 15]])
  assert.is(v.idle, false)
})

WatermarkValveSuite('idle -> active: a channel behind the output is unaligned until it catches up', () => {
  const { v, take } = valve(2)
  v.onWatermark(0, 5)
  v.onWatermark(1, 5)
  v.onStatus(1, true)
  v.onWatermark(0, 20)
  assert.equal(take(), [['wm', 5], ['wm', 20]])
  v.onStatus(1, false)
  v.onWatermark(1, 8)
  assert.equal(take(), [], 'channel 1 at 8 does not pull the output back from 20')
  v.onWatermark(0, 30)
  assert.equal(take(), [['wm', 30]], 'and it does not hold the output back while unaligned')
  v.onWatermark(1, 25)
  assert.equal(take(), [], 'at 25 it is still behind the output (30): unaligned')
  v.onWatermark(1, 35)
  v.onWatermark(0, 50)
  assert.equal(take(), [['wm', 35]], 'aligned once it reached the output: the minimum again')
})

WatermarkValveSuite('idle -> active: a channel already ahead of the output rejoins at once', () => {
  const { v, take } = valve(2)
  v.onWatermark(1, 40)
  v.onStatus(1, true)
  v.onWatermark(0, 10)
  assert.equal(take(), [['wm', 10]])
  v.onStatus(1, false)
  v.onWatermark(0, 60)
  assert.equal(take(), [['wm', 40]], 'channel 1 (40) holds the output back again')
})

WatermarkValveSuite('a watermark from an idle channel makes it active again', () => {
  const { v, take } = valve(2)
  v.onStatus(0, true)
  v.onStatus(1, true)
  assert.equal(take(), [['idle', true]])
  v.onWatermark(0, 3)
  assert.equal(take(), [['idle', false], ['wm', 3]])
  assert.is(v.idle, false)
})

WatermarkValveSuite('turns idle when every channel is idle, and active when one resumes', () => {
  const { v, take } = valve(2)
  v.onStatus(0, true)
  assert.equal(take(), [])
  v.onStatus(1, true)
  assert.equal(take(), [['idle', true]])
  assert.is(v.idle, true)
  v.onStatus(1, true)
  assert.equal(take(), [], 'no repeated status')
  v.onStatus(0, false)
  assert.equal(take(), [['idle', false]])
  v.onStatus(1, false)
  assert.equal(take(), [], 'already active')
})

WatermarkValveSuite('when the last active channel goes idle, the highest channel watermark is flushed', () => {
  // Flink's StatusWatermarkValve: with no channel left to advance, emit the max watermark
  const { v, take } = valve(2)
  v.onWatermark(0, 100)
  v.onWatermark(1, 40)
  assert.equal(take(), [['wm', 40]])
  v.onStatus(0, true)
  assert.equal(take(), [], 'channel 1 (40) is the minimum of the active channels')
  v.onStatus(1, true)
  assert.equal(take(), [['wm', 100], ['idle', true]])
})

WatermarkValveSuite('an ended channel counts as +Infinity and the end of all channels yields +Infinity', () => {
  const { v, take } = valve(2)
  v.onWatermark(0, 7)
  v.onEnd(1)
  assert.equal(take(), [['wm', 7]], 'an ended channel never holds back the others')
  v.onWatermark(0, 9)
  assert.equal(take(), [['wm', 9]])
  v.onEnd(0)
  assert.equal(take(), [['wm', Number.POSITIVE_INFINITY]])
  assert.is(v.current, Number.POSITIVE_INFINITY)
})

WatermarkValveSuite('an ended channel with the others idle releases the final watermark', () => {
  const { v, take } = valve(2)
  v.onStatus(0, true)
  v.onStatus(1, true)
  assert.equal(take(), [['idle', true]])
  v.onEnd(1)
  assert.equal(take(), [['idle', false], ['wm', Number.POSITIVE_INFINITY]])
})

WatermarkValveSuite.run()
