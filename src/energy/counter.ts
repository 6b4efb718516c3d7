// Accumulates an energy counter read several times over a window: handles wrap-around (RAPL wraps at
// max_energy_range_uj, every few minutes to hours) and keeps the highest mean power between two reads.

export const now = (): number => Number(process.hrtime.bigint()) / 1e9;

export class CounterAccumulator {
  private last: { t: number; value: number } | null = null;
  private first: number | null = null;
  private joules = 0;
  private reads = 0;
  private peak: number | null = null;
  private wraps = 0;

  /** @param wrapAt counter range (same unit as the values) after which it restarts at 0; null if it never wraps.
   *  @param toJoules factor from counter units to joules. */
  constructor(
    private readonly wrapAt: number | null,
    private readonly toJoules: number,
  ) {}

  add(value: number, t = now()): void {
    this.reads++;
    if (this.last) {
      let delta = value - this.last.value;
      if (delta < 0) {
        // A counter that went backwards wrapped once (reads are frequent enough for at most one wrap).
        if (this.wrapAt === null)
          throw new Error(`energy counter went backwards (${this.last.value} → ${value}) and does not wrap`);
        delta += this.wrapAt;
        this.wraps++;
      }
      const joules = delta * this.toJoules;
      this.joules += joules;
      const dt = t - this.last.t;
      if (dt > 0) this.peak = Math.max(this.peak ?? 0, joules / dt);
    } else {
      this.first = t;
    }
    this.last = { t, value };
  }

  result(): { joules: number; seconds: number; reads: number; peakIntervalWatts: number | null; wraps: number } {
    const seconds = this.last && this.first !== null ? this.last.t - this.first : 0;
    return { joules: this.joules, seconds, reads: this.reads, peakIntervalWatts: this.peak, wraps: this.wraps };
  }
}

/** Calls `fn` at most once per `minSeconds`, so a poll between fast samples costs nothing measurable. */
export function throttled(minSeconds: number, fn: () => void): () => void {
  let lastAt = -Infinity;
  return () => {
    const t = now();
    if (t - lastAt < minSeconds) return;
    lastAt = t;
    fn();
  };
}
