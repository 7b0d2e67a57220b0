/**
 * Seeded pseudo-random numbers (sfc32 seeded through splitmix32). Deterministic across
 * platforms: only 32-bit integer arithmetic. Protocols never call Math.random; they draw
 * from the Rng their Env hands them.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** A new independent generator derived from this one and `salt` (for per-node streams). */
  fork(salt: number): Rng
}

function splitmix32(state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export class Sfc32 implements Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number, salt = 0) {
    const mix = splitmix32((seed ^ Math.imul(salt + 1, 0x27d4eb2d)) >>> 0)
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = mix()
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  next(): number {
    return this.nextUint32() / 4294967296
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  fork(salt: number): Rng {
    return new Sfc32(this.nextUint32(), salt)
  }
}

export function createRng(seed: number, salt = 0): Rng {
  return new Sfc32(seed, salt)
}
