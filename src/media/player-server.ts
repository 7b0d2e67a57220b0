import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GopCache } from './gop-cache.ts'
import { type SpliceSegment, TsSplicer } from './ts-splicer.ts'

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
  /** Holes in the sequence numbers fed in; output resumes cleanly at the next keyframe. */
  gaps: number
  /** Chunks fed in but not shown: between a hole and the next keyframe. */
  skippedChunks: number
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
 * cached latest keyframe group, else at the next keyframe. A hole in the feed is spliced out by
 * TsSplicer (players see a freeze, never a corrupt picture). A player whose backlog passes
 * `maxBacklogBytes` is not dropped: it skips to the next keyframe once its backlog has halved
 * (it may then see one continuity break). Parent changes upstream are invisible here: only chunk
 * order matters.
 */
export class PlayerServer {
  readonly stats: PlayerServerStats = {
    clients: 0,
    clientsServed: 0,
    clientsRejected: 0,
    chunksIn: 0,
    bytesOut: 0,
    gaps: 0,
    skippedChunks: 0,
    backlogSkips: 0,
  }
  private readonly players = new Set<Player>()
  private readonly gop: GopCache<SpliceSegment>
  private readonly splicer = new TsSplicer()
  private closing: Promise<void> | null = null
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
    const segments = this.splicer.write({ seq: chunk.seq, keyframe: chunk.keyframe, payload: chunk.payload })
    this.stats.gaps = this.splicer.stats.gaps
    this.stats.skippedChunks = this.splicer.stats.skippedChunks
    for (const segment of segments) {
      this.gop.add(segment)
      for (const player of this.players) this.send(player, segment)
    }
  }

  /** Ends every player's stream (players see end of file) and stops listening. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing
    for (const segment of this.splicer.flush()) for (const player of this.players) this.send(player, segment)
    for (const player of this.players) player.res.end()
    this.players.clear()
    this.stats.clients = 0
    this.closing = new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    return this.closing
  }

  private send(player: Player, chunk: SpliceSegment): void {
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
    player.res.write(chunk.payload)
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
