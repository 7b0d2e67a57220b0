import { get } from 'node:http'

/** GET a JSON endpoint (a viewer's /stats); bounded by `timeoutMs`. */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 5000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
  return (await res.json()) as T
}

/**
 * Reads a live HTTP body (a viewer's /live.ts) for `ms` milliseconds, or until `maxBytes`, and
 * returns what arrived: what a player would have been handed in that time.
 */
export function captureLive(url: string, ms: number, maxBytes = 64 << 20): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    const req = get(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`))
        return
      }
      res.on('data', (d: Buffer) => {
        parts.push(d)
        size += d.length
        if (size >= maxBytes) finish()
      })
      res.on('end', finish)
    })
    req.on('error', (err) => (size > 0 ? finish() : reject(err)))
    const timer = setTimeout(finish, ms)
    let done = false
    function finish() {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(new Uint8Array(Buffer.concat(parts)))
    }
  })
}
