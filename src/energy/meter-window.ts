// Several meters around one window, as the runner uses them: a meter that fails to start or stop drops out
// with its reason instead of failing the case, and every meter is closed whatever happens.
import type { OpenedMeters } from './open-meters.js';
import { errorText, type EnergyMeter, type MeterReading, type SourceUnavailable } from './types.js';

export interface MeterWindow {
  /** Starts every meter; sampled ones first, since they need a moment before their first sample. */
  start(): Promise<void>;
  /** Between measurement samples: lets counters catch wrap-arounds and in-process telemetry sample. */
  poll(): void;
  /** Stops every meter; counters first, so their window is the tightest around the measured one. */
  stop(): Promise<{ readings: MeterReading[]; unavailable: SourceUnavailable[]; warnings: string[] }>;
  close(): Promise<void>;
}

const startRank = (m: EnergyMeter): number => (m.method === 'sampled' ? 0 : 1);

export function meterWindow(opened: OpenedMeters): MeterWindow {
  const unavailable = [...opened.unavailable];
  let active: EnergyMeter[] = [];
  const drop = (m: EnergyMeter, when: string, err: unknown): void => {
    active = active.filter((a) => a !== m);
    unavailable.push({ source: m.source, reason: `${when}: ${errorText(err)}` });
  };
  return {
    async start() {
      active = [...opened.meters].sort((a, b) => startRank(a) - startRank(b));
      for (const m of [...active]) await m.start().catch((err) => drop(m, 'failed to start', err));
    },
    poll() {
      for (const m of active) {
        try {
          m.poll?.();
        } catch {
          /* a failed poll only loses a telemetry point; stop() reports a meter that is really broken */
        }
      }
    },
    async stop() {
      const readings: MeterReading[] = [];
      for (const m of [...active].reverse()) {
        try {
          readings.push(await m.stop());
        } catch (err) {
          drop(m, 'failed at the end of the window', err);
        }
      }
      active = [];
      return { readings, unavailable, warnings: readings.flatMap((r) => r.warnings) };
    },
    async close() {
      active = [];
      await Promise.all(opened.meters.map((m) => m.close().catch(() => undefined)));
    },
  };
}
