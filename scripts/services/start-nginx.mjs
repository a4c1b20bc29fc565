// A throwaway nginx TLS proxy for tests, configured as compose.yaml configures it.
import { once } from "node:events"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ServiceError, findCommand, findOrInstall, freePort, isRoot, run, spawnUntilReady, stopper, tempDir, terminate } from "./common.mjs"

// The proxy configuration compose.yaml uses too; startNginx() fills in its placeholders.
const nginxTemplate = fileURLToPath(new URL("../../deploy/nginx.conf.template", import.meta.url))

/**
 * Fills in each `${NAME}` of `template` from `values`.
 * @throws {ServiceError} (`start-failed`) naming a placeholder that `values` lacks.
 */
function fillTemplate(template, values) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (_, name) => {
    if (!Object.hasOwn(values, name)) throw new ServiceError("start-failed", `${nginxTemplate} has a placeholder \${${name}} startNginx() does not fill`)
    return values[name]
  })
}

/**
 * Starts a throwaway nginx that terminates TLS on a free loopback port and proxies to
 * `upstreams` (`["127.0.0.1:PORT", …]`, taken in turn) with deploy/nginx.conf.template, the
 * configuration compose.yaml uses. Installs Debian's `nginx` (and `openssl`) first when missing and
 * we are root. Its certificate is self-signed for 127.0.0.1, made for this run; everything it
 * writes (configuration, key, logs, temporary bodies, pid) stays in its own temporary folder.
 *
 * Resolves, once the TLS port accepts connections, to `{ url, wssUrl, port, ca, stop() }`: `url`
 * is `https://127.0.0.1:PORT`, `wssUrl` the same as `wss:`, `ca` the certificate in PEM for
 * clients to trust; `stop()` stops nginx at once (open sockets are cut) and removes its folder,
 * and may be called again.
 *
 * @throws {TypeError} when `upstreams` is empty.
 * @throws {ServiceError} when nginx is not installed and cannot be, or does not start.
 */
export async function startNginx({ upstreams }) {
  if (!Array.isArray(upstreams) || upstreams.length === 0) throw new TypeError("startNginx: upstreams must list at least one HOST:PORT")
  const nginx = await findOrInstall(() => findCommand("nginx", ["/usr/sbin/nginx"]), "nginx", "nginx")
  const openssl = await findOrInstall(() => findCommand("openssl", ["/usr/bin/openssl"]), "openssl", "openssl")
  const dir = tempDir("tandem-nginx-")
  const cert = join(dir, "cert.pem")
  const key = join(dir, "key.pem")
  const conf = join(dir, "nginx.conf")
  let child = null

  /**
   * Starts nginx with `conf`, resolving once it has bound its ports and starts its workers: it
   * logs that (at notice level) once its listening sockets are open.
   */
  const launch = async () => {
    // -e: nginx opens its error log before reading the configuration, by default under /var/log.
    child = await spawnUntilReady("nginx", nginx, ["-p", `${dir}/`, "-c", conf, "-e", "stderr"], /start worker process/)
  }

  const halt = async () => {
    const running = child
    child = null
    // SIGTERM is nginx's fast shutdown; SIGQUIT (graceful) would wait for every WebSocket to end.
    await terminate(running)
  }

  try {
    await run(openssl, [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
    ])
    const template = readFileSync(nginxTemplate, "utf8")
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      let redirectPort = await freePort()
      while (redirectPort === port) redirectPort = await freePort()
      const http = fillTemplate(template, {
        UPSTREAMS: upstreams.map((upstream) => `server ${upstream};`).join(" "),
        LISTEN: `127.0.0.1:${port}`,
        REDIRECT_LISTEN: `127.0.0.1:${redirectPort}`,
        CERT: cert,
        KEY: key,
      })
      const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) => `    ${name}_temp_path ${join(dir, name)};`)
      writeFileSync(
        conf,
        [
          // Workers stay root, as the master: they write temporary files in `dir`, which is
          // root's alone, and nginx would otherwise switch them to `nobody`.
          ...(isRoot() ? ["user root;"] : []),
          "daemon off;",
          "worker_processes 1;",
          `pid ${join(dir, "nginx.pid")};`,
          "error_log stderr notice;",
          `error_log ${join(dir, "error.log")} info;`,
          "events { worker_connections 1024; }",
          "http {",
          `    access_log ${join(dir, "access.log")};`,
          ...temp,
          http,
          "}",
          "",
        ].join("\n"),
      )
      try {
        await launch()
      } catch (error) {
        if (attempt < 3 && /Address already in use/.test(error.message)) continue // someone took a port
        throw error
      }
      // The notice above means the sockets are bound; one connection checks the TLS port accepts.
      const probe = connect(port, "127.0.0.1")
      await once(probe, "connect").catch((error) => {
        throw new ServiceError("start-failed", `nginx does not accept on ${port}: ${error.message}`)
      })
      probe.destroy()
      return {
        url: `https://127.0.0.1:${port}`,
        wssUrl: `wss://127.0.0.1:${port}`,
        port,
        ca: readFileSync(cert, "utf8"),
        stop: stopper(halt, dir),
      }
    }
  } catch (error) {
    await halt()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
