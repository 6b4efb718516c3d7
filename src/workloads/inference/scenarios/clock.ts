// Time for the scenarios: seconds from a monotonic clock, and waiting until a moment precisely (sleep most
// of the gap, spin the last millisecond: timers alone are late by ~1 ms).
export const now = (): number => Number(process.hrtime.bigint()) / 1e9;

export async function waitUntil(t: number): Promise<void> {
  const gap = t - now();
  if (gap > 0.002) await new Promise((r) => setTimeout(r, (gap - 0.0015) * 1000));
  while (now() < t) {
    /* spin */
  }
}

/** Calls fn once and waits for it if it returned a promise. */
export async function callOnce(fn: () => unknown): Promise<void> {
  const r = fn();
  if (r && typeof (r as Promise<unknown>).then === 'function') await r;
}
