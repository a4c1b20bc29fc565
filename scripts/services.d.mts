// Types of services.mjs, for the TypeScript tests that start these services.

/** Thrown when a service cannot be started; `code` says which step failed. */
export declare class ServiceError extends Error {
  readonly code: "not-installed" | "install-failed" | "command-failed" | "start-failed"
}

/** A running throwaway PostgreSQL cluster; see {@link startPostgres}. */
export interface PostgresService {
  /** `postgres://postgres@127.0.0.1:PORT/tandem`: the `tandem` database as the superuser, trusted. */
  readonly url: string
  readonly port: number
  /** The cluster's data directory. */
  readonly dataDir: string
  /**
   * Runs `pg_ctl -D dataDir ...args` as the cluster's owner and resolves with its output (`-l`
   * with the cluster's log file is added to `start` and `restart`); rejects on a non-zero exit.
   */
  pgCtl(args: readonly string[]): Promise<string>
  /** Stops the cluster and removes its folder; calling it again returns the same promise. */
  stop(): Promise<void>
}

/** A running throwaway Redis server; see {@link startRedis}. */
export interface RedisService {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** Stops the server and starts an empty one on the same port. */
  restart(): Promise<void>
  /** Stops the server and removes its folder; calling it again returns the same promise. */
  stop(): Promise<void>
}

/**
 * Starts a throwaway PostgreSQL cluster (Debian's newest installed version, installed with
 * apt-get when missing and running as root) on a free loopback port, with a database `tandem`.
 */
/** A loopback port nobody listens on right now (another process could still take it first). */
export declare function freePort(): Promise<number>

export declare function startPostgres(): Promise<PostgresService>

/** Starts a throwaway redis-server (installed with apt-get when missing) on a free loopback port. */
export declare function startRedis(): Promise<RedisService>

/** A running throwaway nginx TLS proxy; see {@link startNginx}. */
export interface NginxService {
  /** `https://127.0.0.1:PORT` */
  readonly url: string
  /** `wss://127.0.0.1:PORT` */
  readonly wssUrl: string
  readonly port: number
  /** The proxy's self-signed certificate (PEM), for clients to trust: `{ ca }`. */
  readonly ca: string
  /** Stops nginx at once (open connections are cut) and removes its folder; calling it again returns the same promise. */
  stop(): Promise<void>
}

/** What {@link startNginx} proxies to. */
export interface NginxOptions {
  /** `HOST:PORT` of each instance, taken in turn for each new connection. */
  readonly upstreams: readonly string[]
}

/**
 * Starts a throwaway nginx (installed with apt-get when missing) on a free loopback port that
 * terminates TLS with a certificate made for this run and proxies HTTP and WebSocket to
 * `upstreams`, configured by deploy/nginx.conf.template as compose.yaml is.
 */
export declare function startNginx(options: NginxOptions): Promise<NginxService>
