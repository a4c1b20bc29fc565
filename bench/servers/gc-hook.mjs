// Preloaded into every benchmarked server (node --expose-gc --import): collects garbage when the
// benchmark asks, so memory per connection is read from live objects, not from whatever
// garbage connecting left behind; and reports the process's CPU time, which /proc counts only
// in 10 ms ticks (see reportedCpuMs). The servers' own code is untouched.
process.on("message", (message) => {
  if (message === "bench:gc") {
    globalThis.gc()
    process.send("bench:gc-done")
  } else if (message === "bench:cpu") {
    const { user, system } = process.cpuUsage()
    process.send({ cpuUs: user + system })
  }
})
