import type * as TF from '@tensorflow/tfjs';

/** The tfjs module as loaded (dynamically, so that importing fedbench does not load tfjs). */
export type Tf = typeof TF;

/** The engines fedbench drives itself; `command` is a user's program, which brings its own. */
export type EngineName = 'onnxruntime' | 'tfjs' | 'command';
/** Engines a suite benchmark runs on when it names none (a command runs on `command` only). */
export const ENGINE_NAMES: readonly EngineName[] = ['onnxruntime', 'tfjs'];

/** A backend or provider that was tried and not used, with the reason it gave. */
export interface Fallback {
  backend: string;
  reason: string;
}

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
