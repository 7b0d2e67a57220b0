import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PortInUseError } from '../media/player-server.ts'

export interface StatusHttpOptions {
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly host?: string
  /** Flag named in the port-in-use message. */
  readonly portFlag: string
  readonly stats: () => Record<string, unknown>
  readonly metrics: () => string | Promise<string>
}

/**
 * GET /stats (JSON) and GET /metrics (Prometheus text) for a node that serves no player (a
 * rendezvous server). A viewer has the same two routes on its PlayerServer.
 */
export class StatusHttp {
  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static listen(opts: StatusHttpOptions): Promise<StatusHttp> {
    const host = opts.host ?? '127.0.0.1'
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method !== 'GET') {
        res.writeHead(405).end()
      } else if (path === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(opts.stats())}\n`)
      } else if (path === '/metrics') {
        Promise.resolve(opts.metrics()).then(
          (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
          (err: Error) => res.writeHead(500).end(`${err.message}\n`),
        )
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /stats or /metrics\n')
      }
    })
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new PortInUseError(`port ${opts.port} is in use; pass ${opts.portFlag}`)
            : err,
        )
      server.once('error', onError)
      server.listen(opts.port, host, () => {
        server.off('error', onError)
        resolve(new StatusHttp(server, host, (server.address() as AddressInfo).port))
      })
    })
  }

  get url(): string {
    return `http://${this.host}:${this.port}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }
}
