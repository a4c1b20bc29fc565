# The Tandem server: `docker build -t tandem .`, then
# `docker run -p 1234:1234 -v tandem-data:/data tandem` (SQLite in the volume), or set
# TANDEM_DATABASE_URL and TANDEM_REDIS_URL to run several instances (compose.yaml).

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when it cannot fetch a prebuilt binary, against the
# headers this image ships (nodedir) rather than ones node-gyp would download.
ENV npm_config_nodedir=/usr/local
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npx -y pnpm@10.34.8 install --frozen-lockfile
RUN npx -y pnpm@10.34.8 -r --filter-prod "./packages/**" --filter-prod "./apps/**" run build
# The server app with its production dependencies only, at the lockfile's versions, workspace
# packages copied in (their "files": dist and src) rather than linked; better-sqlite3's compiled
# binary comes along. Deploying from the shared lockfile needs injected workspace packages.
RUN npx -y pnpm@10.34.8 --config.inject-workspace-packages=true --filter @tandem/server-app deploy --prod /out/apps/server \
 && cp -r apps/web/dist /out/web

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=1234 \
    TANDEM_DATA_DIR=/data
WORKDIR /app
# The server finds the web app at apps/web/dist beside it (TANDEM_WEB_DIR's default).
COPY --from=build /out/apps/server apps/server
COPY --from=build /out/web apps/web/dist
# The image's files stay root's; the server, running as `node`, writes only to /data.
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 1234
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) closes connections with 1001 and waits for the last commit, for up to
# TANDEM_SHUTDOWN_TIMEOUT_MS (30 s): give `docker stop -t` / stop_grace_period more than that.
CMD ["node", "apps/server/dist/main.js"]
