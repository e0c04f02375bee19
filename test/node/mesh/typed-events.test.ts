import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { TypedEvents } from '../../../node/mesh/typed-events.ts'

const test = suite('TypedEvents')

class Counter extends TypedEvents<{ 'tick': number, 'done': { total: number } }> {
  #n = 0
  tick (): void { this.emit('tick', ++this.#n) }
  done (): void { this.emit('done', { total: this.#n }) }
}

test('on() hands listeners the detail, synchronously and in order, until removed', () => {
  const c = new Counter()
  const seen: string[] = []
  const off = c.on('tick', n => { seen.push(`a${n}`) })
  c.on('tick', n => { seen.push(`b${n}`) })
  c.tick()
  off()
  c.tick()
  assert.equal(seen, ['a1', 'b1', 'b2'])
})

test('on() listeners go away with their signal', () => {
  const c = new Counter()
  const seen: number[] = []
  const controller = new AbortController()
  c.on('tick', n => { seen.push(n) }, { signal: controller.signal })
  c.tick()
  controller.abort()
  c.tick()
  assert.equal(seen, [1])
})

test('addEventListener() hands listeners the CustomEvent with its typed detail', () => {
  const c = new Counter()
  const totals: number[] = []
  const listener = (e: CustomEvent<{ total: number }>): void => { totals.push(e.detail.total) }
  c.addEventListener('done', listener)
  c.tick()
  c.done()
  c.removeEventListener('done', listener)
  c.done()
  assert.equal(totals, [1])
})

test.run()
