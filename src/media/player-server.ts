import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GopCache } from './gop-cache.ts'

/** What the endpoint needs from a chunk: a Chunk from the playout buffer or a MediaChunk. */
export interface PlayableChunk {
  readonly seq: number
  readonly size: number
  readonly keyframe: boolean
  readonly payload: Uint8Array | null
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError'
}

export interface PlayerServerOptions {
  /** 0 picks a free port (tests). */
  port: number
  host?: string
  /** Flag named in the port-in-use message. */
  portFlag?: string
  maxClients?: number
  /** A player whose socket backlog exceeds this stops receiving until the next keyframe. */
  maxBacklogBytes?: number
  /** Bound on the cached keyframe group that gives a new player an instant start. */
  gopCacheBytes?: number
  /** Extra fields merged into GET /stats (the host's QoE, overlay state, ...). */
  stats?: () => Record<string, unknown>
  metrics?: () => string | Promise<string>
}

export interface PlayerServerStats {
  clients: number
  clientsServed: number
  clientsRejected: number
  chunksIn: number
  bytesOut: number
  /** Holes in the sequence numbers fed in; players skip to the next keyframe after one. */
  gaps: number
  /** Times a slow player was made to skip to the next keyframe. */
  backlogSkips: number
}

interface Player {
  res: ServerResponse
  /** Not sending until a keyframe chunk: just joined, fell behind, or the feed had a hole. */
  waitingForKeyframe: boolean
}

const DEFAULT_MAX_BACKLOG_BYTES = 8 * 1024 * 1024

/**
 * Serves the live stream to local players (VLC, mpv, ffplay, a browser) at GET /live.ts, plus
 * GET /stats (JSON) and GET /metrics (Prometheus text). Fed with `write(chunk)` in playout order.
 * Every player starts at a keyframe chunk (which carries PAT+PMT in front): at once from the
 * cached latest keyframe group, else at the next keyframe. After a hole in the feed, or when a
 * player's backlog passes `maxBacklogBytes`, that player skips to the next keyframe rather than
 * being dropped, so it sees a freeze, never a corrupt picture. Parent changes upstream are
 * invisible here: only chunk order matters.
 */
export class PlayerServer {
  readonly stats: PlayerServerStats = {
    clients: 0,
    clientsServed: 0,
    clientsRejected: 0,
    chunksIn: 0,
    bytesOut: 0,
    gaps: 0,
    backlogSkips: 0,
  }
  private readonly players = new Set<Player>()
  private readonly gop: GopCache<PlayableChunk>
  private lastSeq = -1
  private readonly maxClients: number
  private readonly maxBacklogBytes: number

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly host: string,
    private readonly options: PlayerServerOptions,
  ) {
    this.maxClients = options.maxClients ?? 32
    this.maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES
    this.gop = new GopCache(options.gopCacheBytes ?? 16 * 1024 * 1024)
    server.on('request', (req, res) => this.route(req, res))
  }

  /** Starts listening; rejects with PortInUseError when the port is taken. */
  static listen(options: PlayerServerOptions): Promise<PlayerServer> {
    const host = options.host ?? '127.0.0.1'
    const server = createServer()
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          reject(
            new PortInUseError(`port ${options.port} is in use; pass ${options.portFlag ?? '--http-port'}`),
          )
        } else {
          reject(err)
        }
      }
      server.once('error', onError)
      server.listen(options.port, host, () => {
        server.off('error', onError)
        const port = (server.address() as AddressInfo).port
        resolve(new PlayerServer(server, port, host, options))
      })
    })
  }

  get url(): string {
    return `http://${this.host}:${this.port}/live.ts`
  }

  /** The next chunk in playout order. Virtual chunks (no payload) are ignored. */
  write(chunk: PlayableChunk): void {
    if (chunk.payload === null) return
    this.stats.chunksIn++
    if (this.lastSeq >= 0 && chunk.seq !== this.lastSeq + 1) {
      this.stats.gaps++
      for (const player of this.players) player.waitingForKeyframe = true
    }
    this.lastSeq = chunk.seq
    this.gop.add(chunk)
    for (const player of this.players) this.send(player, chunk)
  }

  close(): Promise<void> {
    for (const player of this.players) player.res.end()
    this.players.clear()
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private send(player: Player, chunk: PlayableChunk): void {
    const backlog = player.res.writableLength
    if (player.waitingForKeyframe) {
      // Resume only at a keyframe and once the old backlog has mostly drained.
      if (!chunk.keyframe || backlog > this.maxBacklogBytes / 2) return
      player.waitingForKeyframe = false
    } else if (backlog > this.maxBacklogBytes) {
      player.waitingForKeyframe = true
      this.stats.backlogSkips++
      return
    }
    player.res.write(chunk.payload!)
    this.stats.bytesOut += chunk.size
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
    } else if (path === '/live.ts') {
      this.addPlayer(req, res)
    } else if (path === '/stats') {
      const body = JSON.stringify({ player: { ...this.stats }, ...(this.options.stats?.() ?? {}) })
      res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    } else if (path === '/metrics' && this.options.metrics !== undefined) {
      Promise.resolve(this.options.metrics()).then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      )
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /live.ts, /stats or /metrics\n')
    }
  }

  private addPlayer(req: IncomingMessage, res: ServerResponse): void {
    if (this.players.size >= this.maxClients) {
      this.stats.clientsRejected++
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`too many players (max ${this.maxClients})\n`)
      return
    }
    res.writeHead(200, { 'content-type': 'video/mp2t', 'cache-control': 'no-store' })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    res.socket?.setNoDelay(true)
    res.flushHeaders()
    const player: Player = { res, waitingForKeyframe: true }
    this.players.add(player)
    this.stats.clients = this.players.size
    this.stats.clientsServed++
    for (const chunk of this.gop.snapshot()) this.send(player, chunk)
    res.on('close', () => {
      this.players.delete(player)
      this.stats.clients = this.players.size
    })
  }
}
