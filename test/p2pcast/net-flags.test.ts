// The p2pcast knobs of broadcast and watch: `--stripes F` and the upload a viewer needs.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sourceUploadNeed, uploadNeed, uploadShortfall } from '../../src/app/upload-need.ts'
import { broadcastOptions } from '../../src/cli/commands/broadcast.ts'
import { UsageError } from '../../src/cli/usage-error.ts'

const base = { overlay: 'p2pcast', streamKbps: '500', chunkRate: '4', listen: ['/ip4/127.0.0.1/tcp/0'] }

test('--stripes F (2..16) becomes the p2pcast parameter stripes (carried in the stream URI)', () => {
  assert.deepEqual(broadcastOptions({ ...base, stripes: '2' }).overlayParams, { stripes: 2 })
  assert.deepEqual(broadcastOptions({ ...base, stripes: '3' }).overlayParams, { stripes: 3 })
  assert.deepEqual(broadcastOptions({ ...base, stripes: '16' }).overlayParams, { stripes: 16 })
  assert.deepEqual(broadcastOptions({ ...base }).overlayParams, {})
})

test('--stripes refuses counts outside 2..16 and other overlays with a usage error saying why', () => {
  for (const bad of ['1', '17']) {
    assert.throws(
      () => broadcastOptions({ ...base, stripes: bad }),
      (err: unknown) =>
        err instanceof UsageError && /--stripes must be a whole number from 2 to 16/.test(err.message),
    )
  }
  assert.throws(() => broadcastOptions({ ...base, stripes: 'two' }), UsageError)
  assert.throws(
    () => broadcastOptions({ ...base, overlay: 'spreadit', stripes: '2' }),
    /--stripes applies to --overlay p2pcast only/,
  )
})

test('a p2pcast viewer needs f/(f-1) × the stream rate of upload; other overlays take any upload', () => {
  assert.equal(uploadNeed('p2pcast', { stripes: 2 }, 500)?.kbps, 1000)
  assert.equal(uploadNeed('p2pcast', {}, 500)?.kbps, 1000, 'stripes defaults to 2 as in the overlay')
  assert.equal(uploadNeed('p2pcast', { stripes: 4 }, 600)?.kbps, 800)
  assert.equal(uploadNeed('spreadit', { maxChildren: 3 }, 500), null)
})

test('a declared upload below the need is a warning naming both figures; enough upload is silent', () => {
  const need = uploadNeed('p2pcast', { stripes: 2 }, 500)
  const warning = uploadShortfall(need, 600)
  assert.ok(warning !== null)
  assert.match(warning, /600 kbit\/s.*below the 1000 kbit\/s/)
  assert.equal(uploadShortfall(need, 1000), null)
  assert.equal(uploadShortfall(null, 1), null)
})

test('the source of a p2pcast stream needs f stripes of upload, and the bootstrap peak when f > 2', () => {
  // f = 2: two stripes, each the whole stream. f = 3: the peak is N(f-N+1) = 4 stripes at N = 2.
  assert.equal(sourceUploadNeed('p2pcast', { stripes: 2 }, 500)?.kbps, 1000)
  assert.equal(sourceUploadNeed('p2pcast', { stripes: 3 }, 600)?.kbps, 1200)
  // f = 16: 8 x 9 = 72 stripes of stream/15 at N = 8 (4.8x the stream).
  assert.equal(sourceUploadNeed('p2pcast', { stripes: 16 }, 300)?.kbps, 1440)
  assert.match(sourceUploadNeed('p2pcast', { stripes: 16 }, 300)!.why, /72 while fewer than 16 viewers/)
  assert.equal(sourceUploadNeed('spreadit', {}, 500), null)
  const warning = uploadShortfall(sourceUploadNeed('p2pcast', { stripes: 3 }, 600), 1000, 'viewers stall')
  assert.match(warning ?? '', /1000 kbit\/s.*below the 1200 kbit\/s.*viewers stall$/)
})
