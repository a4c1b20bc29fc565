// Preloaded into every benchmarked server (node --expose-gc --import): collects garbage when the
// benchmark asks, so memory per connection is read from live objects, not from whatever
// garbage connecting left behind. The servers' own code is untouched.
process.on("message", (message) => {
  if (message !== "bench:gc") return
  globalThis.gc()
  process.send("bench:gc-done")
})
