import type * as TF from '@tensorflow/tfjs';
import type { EngineName, Fallback } from '../results/index.js';

export type { EngineName, Fallback };

/** The tfjs module as loaded (dynamically, so that importing fedbench does not load tfjs). */
export type Tf = typeof TF;

/** Engines a suite benchmark runs on when it names none (a command runs on `command` only). */
export const ENGINE_NAMES: readonly EngineName[] = ['onnxruntime', 'tfjs'];

export interface BackendStatus {
  name: string;
  available: boolean;
  reason?: string;
  detail?: string;
}

export interface EngineProbe {
  engine: EngineName;
  package: string;
  version: string | null;
  available: boolean;
  backends: BackendStatus[];
}
