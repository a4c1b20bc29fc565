// The statistics the benchmark's figures are made of.

/** The median of `values` (the upper one of an even count), or NaN when there are none. */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]
}

/** The `p`th percentile of `values` (nearest rank, rounded down), or NaN when there are none. */
export const percentile = (values, p) => {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
