/**
 * AckTracker: which deliveries the RabbitMQ source acks when a checkpoint completes, and
 * which redeliveries `exactlyOnce` drops.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AckTracker } from '../../../connectors/rabbitmq/ack-tracker.ts'

const test = suite('AckTracker')

function tracker (retainMs = 1_000): { t: AckTracker, clock: { now: number } } {
  const clock = { now: 0 }
  return { t: new AckTracker({ retainMs, now: () => clock.now }), clock }
}

test('acks the deliveries of every checkpoint up to the completed one, and no later ones', () => {
  const { t } = tracker()
  t.take({ channel: 1, tag: 1 }); t.take({ channel: 1, tag: 2 })
  t.snapshot(5)
  t.take({ channel: 1, tag: 3 })
  t.snapshot(6)
  t.take({ channel: 1, tag: 4 })
  assert.equal(t.complete(5).map(d => d.tag), [1, 2])
  assert.is(t.lowestPendingTag(1), 3)
  assert.equal(t.complete(7).map(d => d.tag), [3], 'a skipped notification is covered by a later one; the open bucket waits')
  assert.is(t.unacked, 1)
})

test('a redelivery of an id not yet acked is held with its checkpoint; of an acked one, acked at once', () => {
  const { t } = tracker()
  assert.is(t.take({ channel: 1, tag: 1 }, 'a'), 'new')
  t.snapshot(1)
  assert.is(t.take({ channel: 2, tag: 1 }, 'a'), 'held')
  assert.equal(t.complete(1), [{ channel: 1, tag: 1 }, { channel: 2, tag: 1 }])
  assert.is(t.take({ channel: 3, tag: 1 }, 'a'), 'ack-now')
})

test('snapshots hold the ids not acked and those acked within retainMs', () => {
  const { t, clock } = tracker(1_000)
  t.take({ channel: 1, tag: 1 }, 'a')
  assert.equal(t.snapshot(1), ['a'])
  t.complete(1)
  t.take({ channel: 1, tag: 2 }, 'b')
  clock.now = 999
  assert.equal(t.snapshot(2).sort(), ['a', 'b'], 'a was acked 999 ms ago: still kept')
  clock.now = 1_000
  t.complete(2)
  assert.equal(t.snapshot(3), ['b'], 'a is forgotten retainMs after its ack, b is not')
  assert.is(t.take({ channel: 1, tag: 9 }, 'a'), 'new')
})

test('restored ids drop redeliveries until retainMs after the restore, however many checkpoints complete', () => {
  const { t, clock } = tracker(5_000)
  t.restore(['x', 'y'])
  for (let c = 1; c <= 4; c++) { t.snapshot(c); t.complete(c) }
  assert.is(t.take({ channel: 1, tag: 1 }, 'x'), 'ack-now')
  clock.now = 5_000
  t.snapshot(5); t.complete(5)
  assert.is(t.take({ channel: 1, tag: 2 }, 'y'), 'new')
})

test('deliveries of a lost channel are never acked', () => {
  const { t } = tracker()
  t.take({ channel: 1, tag: 1 }); t.take({ channel: 2, tag: 1 })
  t.snapshot(1)
  t.dropChannel(1)
  assert.equal(t.complete(1), [{ channel: 2, tag: 1 }])
})

test.run()
