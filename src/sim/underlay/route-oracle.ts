/** Router-level unicast routing: shortest-path latency and the links it crosses. */
export interface RouteOracle {
  /** Shortest-path latency in ms between two routers (0 when equal). */
  latency(fromRouter: number, toRouter: number): number
  /** Link ids from `fromRouter` to `toRouter` in travel order, appended to `out`. */
  path(fromRouter: number, toRouter: number, out?: number[]): number[]
}
