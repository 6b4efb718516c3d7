// The last resort: declared power (TDP × utilisation) × window length. Used only when no source measured
// anything, and labelled method 'estimate' so it is never mistaken for a measurement.
import { now } from './counter.js';
import type { EnergyMeter, MeterReading } from './types.js';

export interface EstimateDeclaration {
  tdpWatts: number;
  /** Fraction of TDP assumed drawn during the window, 0 < u ≤ 1. */
  utilisation: number;
  device?: string;
}

export function checkDeclaration(d: EstimateDeclaration): void {
  if (!(d.tdpWatts > 0) || !Number.isFinite(d.tdpWatts))
    throw new Error(`estimate needs a positive TDP in watts, got ${d.tdpWatts}`);
  if (!(d.utilisation > 0 && d.utilisation <= 1))
    throw new Error(`estimate needs a utilisation in (0, 1], got ${d.utilisation}`);
}

export class EstimateMeter implements EnergyMeter {
  readonly source = 'estimate' as const;
  readonly method = 'estimate' as const;
  readonly domains = ['gpu'] as const;
  private t0 = 0;

  constructor(private readonly declared: EstimateDeclaration) {
    checkDeclaration(declared);
  }

  async start(): Promise<void> {
    this.t0 = now();
  }

  async stop(): Promise<MeterReading> {
    const seconds = now() - this.t0;
    const watts = this.declared.tdpWatts * this.declared.utilisation;
    return {
      source: this.source,
      method: this.method,
      seconds,
      domains: [
        {
          domain: 'gpu',
          device: this.declared.device ?? 'declared device',
          joules: watts * seconds,
          meanWatts: watts,
          peakWatts: null,
          samples: 0,
          coverage: 1,
          note: `not measured: declared TDP ${this.declared.tdpWatts} W × utilisation ${this.declared.utilisation} × ${seconds.toFixed(3)} s`,
        },
      ],
      telemetry: [],
      warnings: ['energy is an estimate from a declared TDP and utilisation, not a measurement'],
    };
  }

  async close(): Promise<void> {}
}
