import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createRng } from '../../src/core/rng.ts'
import {
  fsetId,
  groupId,
  hashId,
  hashSuffix,
  idOnServer,
  isI3Id,
  jsetId,
  lossSuffix,
  matchBits,
  PREFIX_HEX,
  prefixOf,
  RING_SIZE,
  randomId,
  recoveryGroupId,
  ringKey,
  serverRingKey,
  suffixOf,
  withRingKey,
  withSuffix,
  ZERO_SUFFIX,
} from '../../src/overlays/i3/ids.ts'
import { ChordRing } from '../../src/overlays/i3/server/chord-ring.ts'
import { suffixMatchBits } from '../../src/overlays/i3/server/trigger-table.ts'

/** Reference: compare the 64 suffix bits one at a time. */
function naiveMatchBits(t: string, p: string): number {
  if (t.slice(0, PREFIX_HEX) !== p.slice(0, PREFIX_HEX)) return -1
  const bits = (s: string) =>
    [...s.slice(PREFIX_HEX)].map((c) => Number.parseInt(c, 16).toString(2).padStart(4, '0')).join('')
  const [a, b] = [bits(t), bits(p)]
  let n = 0
  while (n < 64 && a[n] === b[n]) n++
  return n
}

const hexDigits = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((d) => d.join(''))

test('matchBits: -1 across prefixes, 64 for equal ids, else the shared leading suffix bits', () => {
  const base = hashId('match')
  assert.equal(matchBits(base, base), 64)
  assert.equal(matchBits(base, hashId('other')), -1)
  // Same suffix, prefix differs in its last digit: still no match.
  const p = base.slice(0, PREFIX_HEX - 1) + (base[PREFIX_HEX - 1] === '0' ? '1' : '0') + suffixOf(base)
  assert.equal(matchBits(base, p), -1)
  assert.equal(matchBits(withSuffix(base, '8000000000000000'), withSuffix(base, '0000000000000000')), 0)
  assert.equal(matchBits(withSuffix(base, 'f000000000000000'), withSuffix(base, 'f800000000000000')), 4)
  assert.equal(matchBits(withSuffix(base, 'abcdef0123456789'), withSuffix(base, 'abcdef0123456788')), 63)
})

test('matchBits and the server hot-path suffixMatchBits agree with a bit-by-bit reference', () => {
  fc.assert(
    fc.property(hexDigits(PREFIX_HEX), hexDigits(16), hexDigits(16), fc.nat(16), (prefix, s1, s2, keep) => {
      // Share a random number of leading digits so long matches are common.
      const t = prefix + s1
      const p = prefix + s1.slice(0, keep) + s2.slice(keep)
      const expected = naiveMatchBits(t, p)
      assert.equal(matchBits(t, p), expected)
      assert.equal(suffixMatchBits(t, p), expected)
      assert.equal(matchBits(p, t), expected, 'symmetric')
    }),
    { seed: 1, numRuns: 2000 },
  )
})

test('hashId: deterministic 256-bit hex, sensitive to every part and to how parts split', () => {
  const h = hashId('a', 'b')
  assert.ok(isI3Id(h))
  assert.equal(hashId('a', 'b'), h)
  assert.notEqual(hashId('ab'), h)
  assert.notEqual(hashId('a', 'c'), h)
  assert.notEqual(hashId('b', 'a'), h)
  // Well spread: 2,000 hashes, 2,000 distinct prefixes and ring keys covering the ring.
  const keys = Array.from({ length: 2000 }, (_, i) => ringKey(hashId('spread', String(i))))
  assert.equal(new Set(keys).size, 2000)
  const quarters = [0, 0, 0, 0]
  for (const k of keys) quarters[Math.floor((k / RING_SIZE) * 4)]!++
  for (const q of quarters) assert.ok(q > 400 && q < 600, `quarter holds ${q} of 2000`)
})

test('derived ids: group, jset, fset and recovery ids differ; recovery ids share a prefix', () => {
  const g = groupId(0)
  const ids = [g, jsetId(g), fsetId(g), groupId(1), jsetId(jsetId(g))]
  assert.equal(new Set(ids).size, ids.length)
  for (const x of ids) assert.ok(isI3Id(x))
  const a = recoveryGroupId(g, ZERO_SUFFIX)
  const b = recoveryGroupId(g, hashSuffix('seq', '17'))
  assert.equal(prefixOf(a), prefixOf(b))
  assert.notEqual(prefixOf(a), prefixOf(recoveryGroupId(jsetId(g), ZERO_SUFFIX)))
  assert.equal(suffixOf(b), hashSuffix('seq', '17'))
  assert.match(hashSuffix('x'), /^[0-9a-f]{16}$/)
  assert.throws(() => withSuffix(g, 'xyz'), RangeError)
})

test('lossSuffix orders members by loss rate, clamped to [0, 1]', () => {
  const rates = [0, 0.001, 0.02, 0.08, 0.5, 1]
  const suffixes = rates.map(lossSuffix)
  assert.deepEqual([...suffixes].sort(), suffixes)
  assert.equal(lossSuffix(-1), lossSuffix(0))
  assert.equal(lossSuffix(2), lossSuffix(1))
  assert.equal(lossSuffix(0), ZERO_SUFFIX)
})

test('ringKey reads the first 13 hex digits as a number', () => {
  for (let i = 0; i < 200; i++) {
    const x = hashId('ring', String(i))
    assert.equal(ringKey(x), Number.parseInt(x.slice(0, 13), 16))
  }
  assert.equal(ringKey('f'.repeat(64)), RING_SIZE - 1)
  assert.equal(ringKey('0'.repeat(64)), 0)
})

test('withRingKey moves an id onto a ring position and keeps the rest', () => {
  const x = hashId('move')
  const moved = withRingKey(x, 12345)
  assert.equal(ringKey(moved), 12345)
  assert.equal(moved.slice(13), x.slice(13))
  assert.equal(ringKey(withRingKey(x, RING_SIZE - 1)), RING_SIZE - 1)
})

test('idOnServer: every id picked for a server is owned by that server on the ring', () => {
  const servers = Array.from({ length: 500 }, (_, i) => i + 1)
  const ring = new ChordRing(servers)
  const rng = createRng(9)
  for (const server of servers) {
    const picked = idOnServer(server, rng)
    assert.ok(isI3Id(picked))
    assert.equal(ringKey(picked), serverRingKey(server))
    assert.equal(ring.successor(ringKey(picked)), server)
  }
  // Random, not fixed: two picks for one server differ beyond the ring digits.
  assert.notEqual(idOnServer(1, rng), idOnServer(1, rng))
  assert.ok(isI3Id(randomId(rng)))
})
