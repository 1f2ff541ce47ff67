// The timing loop of the TypeScript benches (bench.ts, peer.ts): a warm-up, then 30 batches
// of 500 calls; prints and returns the median and the 90th-percentile batch, in µs per call.

export interface Timing {
  readonly median: number;
  readonly p90: number;
}

export function measure(name: string, f: () => unknown): Timing {
  for (let i = 0; i < 2000; i++) f();
  const batches: number[] = [];
  for (let b = 0; b < 30; b++) {
    const n = 500;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    batches.push(Number(process.hrtime.bigint() - start) / n / 1000);
  }
  batches.sort((a, b) => a - b);
  const median = batches[batches.length >> 1] ?? 0;
  const p90 = batches[Math.floor(batches.length * 0.9)] ?? 0;
  console.log(`${name.padEnd(34)} median ${median.toFixed(1).padStart(6)} µs   p90 batch ${p90.toFixed(1).padStart(6)} µs`);
  return { median, p90 };
}

/** `measure` for several functions at once, their batches interleaved (one batch of each in
 *  turn), so that a change of load during the run falls on all of them alike. */
export function measureInterleaved(cases: readonly (readonly [string, () => unknown])[]): Timing[] {
  for (const [, f] of cases) for (let i = 0; i < 2000; i++) f();
  const batches: number[][] = cases.map(() => []);
  for (let b = 0; b < 30; b++) {
    cases.forEach(([, f], c) => {
      const n = 500;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      batches[c]?.push(Number(process.hrtime.bigint() - start) / n / 1000);
    });
  }
  return cases.map(([name], c) => {
    const sorted = (batches[c] ?? []).sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1] ?? 0;
    const p90 = sorted[Math.floor(sorted.length * 0.9)] ?? 0;
    console.log(`${name.padEnd(34)} median ${median.toFixed(1).padStart(6)} µs   p90 batch ${p90.toFixed(1).padStart(6)} µs`);
    return { median, p90 };
  });
}
