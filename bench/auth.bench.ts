// Source authentication: per-chunk Ed25519 signatures vs a signed Merkle root per window of W
// chunks (PPSPP-style), for a 1 Mbit/s stream cut at 4 and 25 chunks/s.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/auth.bench.ts
import { generateKeyPairSync } from 'node:crypto'
import { CHUNK_SIGNATURE_BYTES, createChunkSigner, createChunkVerifier } from '../src/stream/auth.ts'
import type { Chunk } from '../src/stream/chunk.ts'
import { createMerkleVerifier, createMerkleWindowSigner, merkleAuthBytes } from '../src/stream/merkle.ts'

const STREAM_KBPS = 1000
const { privateKey, publicKey } = generateKeyPairSync('ed25519')

function chunks(n: number, size: number): Chunk[] {
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
  return Array.from({ length: n }, (_, seq) => ({
    stream: 'S',
    seq,
    sourceTime: seq,
    stripe: -1,
    size,
    payload,
    keyframe: false,
    auth: null,
  }))
}

function perSecond(n: number, fn: () => void): number {
  const t = performance.now()
  fn()
  return n / ((performance.now() - t) / 1000)
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`machine: ${process.arch}, Node ${process.version}; stream ${STREAM_KBPS} kbit/s`)
for (const rate of [4, 25]) {
  const size = Math.round((STREAM_KBPS * 1000) / 8 / rate)
  const n = rate === 4 ? 1000 : 4000
  const input = chunks(n, size)
  const sign = createChunkSigner(privateKey)
  const verify = createChunkVerifier('S', publicKey)
  let signed: Chunk[] = []
  const signs = perSecond(n, () => {
    signed = input.map(sign)
  })
  const verifies = perSecond(n, () => {
    for (const c of signed) if (!verify(c)) throw new Error('verify failed')
  })
  console.log(
    `${rate} chunks/s (${size} B): per-chunk signature  sign ${fmt(signs)}/s  verify ${fmt(verifies)}/s  ` +
      `overhead ${CHUNK_SIGNATURE_BYTES} B/chunk (${((CHUNK_SIGNATURE_BYTES / size) * 100).toFixed(2)}%)  ` +
      `CPU at stream rate: sign ${((rate / signs) * 100).toFixed(3)}% verify ${((rate / verifies) * 100).toFixed(3)}% of a core  added latency 0 ms`,
  )
  for (const W of [16, 64]) {
    const signWindow = createMerkleWindowSigner(privateKey, W)
    const mverify = createMerkleVerifier('S', publicKey, W)
    let msigned: Chunk[] = []
    const msigns = perSecond(n, () => {
      msigned = []
      for (let i = 0; i < n; i += W) msigned.push(...signWindow(input.slice(i, i + W)))
    })
    const mverifies = perSecond(n, () => {
      for (const c of msigned) if (!mverify(c)) throw new Error('merkle verify failed')
    })
    const overhead = merkleAuthBytes(W)
    console.log(
      `${rate} chunks/s (${size} B): Merkle W=${W}  sign ${fmt(msigns)} chunks/s  verify ${fmt(mverifies)} chunks/s  ` +
        `overhead ${overhead} B/chunk (${((overhead / size) * 100).toFixed(2)}%)  added latency ${((W / rate) * 1000).toFixed(0)} ms at the source`,
    )
  }
}
