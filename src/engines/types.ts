export type EngineName = 'onnxruntime' | 'tfjs';
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
