// A load process: opens WebSocket clients against one server and runs one task, reporting what
// it measured and its own CPU time. Started by the scenarios with child_process.fork (loader() in
// lib/processes.mjs). The clients are in load/clients.mjs, the tasks in load/fanout.mjs and
// load/tasks.mjs.
import { fanoutCheck, fanoutDrive, fanoutOpen } from "./load/fanout.mjs"
import { idle, idleBurst, join, persist, push, warmUp } from "./load/tasks.mjs"

process.on("message", async (task) => {
  try {
    const run = { "fanout-open": fanoutOpen, "fanout-drive": fanoutDrive, "fanout-check": fanoutCheck, idle, "idle-burst": idleBurst, "warm-up": warmUp, join, push, persist }[task.kind]
    process.send({ ok: true, result: await run(task) })
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) })
  }
})
