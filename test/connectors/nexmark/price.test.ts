import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { PriceTable, exactCents } from '../../../connectors/nexmark/price.ts'

const test = suite('PriceTable')

test('PriceTable gives exactCents for random values spread over the 32-bit range', () => {
  const table = new PriceTable()
  for (const u of [0, 1, 255, 256, 2 ** 20 - 1, 2 ** 20, 2 ** 31, 2 ** 32 - 1]) assert.is(table.cents(u), exactCents(u), `u = ${u}`)
  for (let u = 0; u < 2 ** 32; u += 4099) assert.is(table.cents(u), exactCents(u), `u = ${u}`)
})

test('PriceTable gives exactCents next to every half cent it is asked about, falling back to the formula there', () => {
  const table = new PriceTable()
  // the random values whose price lies closest to c + 0.5 cents, for prices over the whole range
  for (let c = 100; c < 1e8; c = Math.ceil(c * 1.0005) + 1) {
    const u0 = Math.round(Math.log10((c + 0.5) / 100) / 6 * 2 ** 32)
    for (let u = Math.max(u0 - 2, 0); u <= Math.min(u0 + 2, 2 ** 32 - 1); u++) assert.is(table.cents(u), exactCents(u), `u = ${u}`)
  }
  assert.ok(table.fallbacks > 0, 'some values were close enough to a half cent for the exact formula to decide')
})

test.run()
