import * as Y from "yjs"
const a = new Y.Doc(), b = new Y.Doc(); const ups = []
a.on("update", (u, o) => { if (o !== "r") { ups.push(u); Y.applyUpdate(b, u, "r") } })
b.on("update", (u, o) => { if (o !== "r") { ups.push(u); Y.applyUpdate(a, u, "r") } })
for (let i = 0; i < 64 * 200; i++) { const d = i % 2 ? a : b; const t = d.getText("content"); t.insert(t.length, `t=${(1000 + i * 3.21).toFixed(6)};`) }
const batches = []; for (let i = 0; i < ups.length; i += 64) batches.push(ups.slice(i, i + 64))
function run(mode) {
  const doc = new Y.Doc(); doc.getText("content")
  const t0 = process.cpuUsage()
  for (const batch of batches) {
    if (mode === "each") Y.transact(doc, () => { for (const u of batch) Y.applyUpdate(doc, u) })
    else Y.applyUpdate(doc, Y.mergeUpdates(batch))
  }
  const u = process.cpuUsage(t0); return ((u.user + u.system) / ups.length).toFixed(2)
}
for (let r = 0; r < 4; r++) console.log("each", run("each"), "merge", run("merge"))
