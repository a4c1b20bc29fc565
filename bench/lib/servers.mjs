// The systems of the table, in its column order: Tandem, the two anchors and a raw ws relay.

/**
 * Each system's server script (servers/<script>), the frames its clients speak (`dialect`, see
 * load.mjs) and the path of its WebSocket endpoint. Tandem is first: the Tandem-only scenarios
 * (persistence, mixed, Tandem ×1 of several instances) take `servers[0]`.
 */
export const servers = [
  { name: "tandem", label: "Tandem (SQLite on)", script: "tandem.mjs", dialect: "y-websocket", path: "/sync" },
  { name: "y-websocket", label: "@y/websocket-server (memory)", script: "y-websocket.mjs", dialect: "y-websocket", path: "" },
  { name: "hocuspocus", label: "@hocuspocus/server (memory)", script: "hocuspocus.mjs", dialect: "hocuspocus", path: "" },
  { name: "relay", label: "raw ws relay", script: "relay.mjs", dialect: "relay", path: "" },
]
