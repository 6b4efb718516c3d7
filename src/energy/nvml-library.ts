// The few NVML calls fedbench needs, bound at run time with koffi: nothing is compiled, and a machine
// without libnvidia-ml.so.1 only loses this source. Signatures follow nvml.h.
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';

type KoffiFunction = (...args: unknown[]) => unknown;

const NVML_SUCCESS = 0;
const NVML_ERROR_INSUFFICIENT_SIZE = 7;
export const NVML_CLOCK_SM = 1;
export const NVML_CLOCK_MEM = 2;
const NVML_TEMPERATURE_GPU = 0;
/** nvmlProcessInfo_t (v2 and v3): pid u32, pad, usedGpuMemory u64, gpuInstanceId u32, computeInstanceId u32. */
const PROCESS_INFO_BYTES = 24;

export class NvmlError extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    text: string,
  ) {
    super(`${call} failed: ${text} (NVML error ${code})`);
  }
}

// koffi type names are global to the process: declare them once however many libraries get loaded.
let types: { device: TypeObject; utilization: TypeObject } | null = null;
function nvmlTypes(): NonNullable<typeof types> {
  types ??= {
    device: koffi.pointer('nvmlDevice_t', koffi.opaque('nvmlDevice_st')),
    utilization: koffi.struct('nvmlUtilization_t', { gpu: 'unsigned int', memory: 'unsigned int' }),
  };
  return types;
}

export type NvmlDevice = unknown;

export class NvmlLibrary {
  private readonly fn: Record<string, KoffiFunction>;
  private initialised = false;

  private constructor(
    private readonly lib: LibraryHandle,
    readonly path: string,
  ) {
    nvmlTypes();
    const f = (decl: string): KoffiFunction => lib.func(decl);
    this.fn = {
      init: f('int nvmlInit_v2()'),
      shutdown: f('int nvmlShutdown()'),
      errorString: f('const char *nvmlErrorString(int result)'),
      count: f('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)'),
      handle: f('int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ nvmlDevice_t *device)'),
      name: f('int nvmlDeviceGetName(nvmlDevice_t device, _Out_ uint8_t *name, unsigned int length)'),
      uuid: f('int nvmlDeviceGetUUID(nvmlDevice_t device, _Out_ uint8_t *uuid, unsigned int length)'),
      energy: f('int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, _Out_ unsigned long long *energy)'),
      power: f('int nvmlDeviceGetPowerUsage(nvmlDevice_t device, _Out_ unsigned int *power)'),
      powerLimit: f('int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, _Out_ unsigned int *limit)'),
      clock: f('int nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, _Out_ unsigned int *clock)'),
      maxClock: f('int nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, int type, _Out_ unsigned int *clock)'),
      temperature: f('int nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, _Out_ unsigned int *temp)'),
      utilization: f('int nvmlDeviceGetUtilizationRates(nvmlDevice_t device, _Out_ nvmlUtilization_t *utilization)'),
      throttle: f(
        'int nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, _Out_ unsigned long long *reasons)',
      ),
    };
    // _v3 since driver 510; older drivers only have _v2 (same record layout).
    for (const v of ['_v3', '_v2']) {
      try {
        this.fn.processes = f(
          `int nvmlDeviceGetComputeRunningProcesses${v}(nvmlDevice_t device, _Inout_ unsigned int *count, void *infos)`,
        );
        break;
      } catch {
        /* try the older name */
      }
    }
  }

  /** Loads and initialises NVML; throws with the loader's or NVML's own words. */
  static open(path: string): NvmlLibrary {
    const lib = koffi.load(path);
    let nvml: NvmlLibrary;
    try {
      nvml = new NvmlLibrary(lib, path);
    } catch (err) {
      lib.unload();
      throw err;
    }
    nvml.check('nvmlInit_v2', nvml.call('init'));
    nvml.initialised = true;
    return nvml;
  }

  private call(name: string, ...args: unknown[]): number {
    return this.fn[name]!(...args) as number;
  }

  private check(call: string, code: number): void {
    if (code !== NVML_SUCCESS) throw new NvmlError(call, code, String(this.call('errorString', code)));
  }

  private out<T>(call: string, name: string, ...args: unknown[]): T {
    const box: unknown[] = [null];
    this.check(call, this.call(name, ...args, box));
    return box[0] as T;
  }

  deviceCount(): number {
    return Number(this.out('nvmlDeviceGetCount_v2', 'count'));
  }
  device(index: number): NvmlDevice {
    return this.out('nvmlDeviceGetHandleByIndex_v2', 'handle', index);
  }
  private text(call: string, name: string, d: NvmlDevice): string {
    const buf = Buffer.alloc(96);
    this.check(call, this.call(name, d, buf, buf.length));
    return buf.subarray(0, Math.max(0, buf.indexOf(0))).toString('utf8');
  }
  name(d: NvmlDevice): string {
    return this.text('nvmlDeviceGetName', 'name', d);
  }
  uuid(d: NvmlDevice): string {
    return this.text('nvmlDeviceGetUUID', 'uuid', d);
  }
  /** Millijoules since the driver was loaded (Volta and newer). */
  totalEnergyMj(d: NvmlDevice): number {
    return Number(this.out('nvmlDeviceGetTotalEnergyConsumption', 'energy', d));
  }
  powerMw(d: NvmlDevice): number {
    return Number(this.out('nvmlDeviceGetPowerUsage', 'power', d));
  }
  powerLimitMw(d: NvmlDevice): number {
    return Number(this.out('nvmlDeviceGetEnforcedPowerLimit', 'powerLimit', d));
  }
  clockMHz(d: NvmlDevice, type: number): number {
    return Number(this.out('nvmlDeviceGetClockInfo', 'clock', d, type));
  }
  maxClockMHz(d: NvmlDevice, type: number): number {
    return Number(this.out('nvmlDeviceGetMaxClockInfo', 'maxClock', d, type));
  }
  temperatureC(d: NvmlDevice): number {
    return Number(this.out('nvmlDeviceGetTemperature', 'temperature', d, NVML_TEMPERATURE_GPU));
  }
  utilisationPercent(d: NvmlDevice): number {
    const u = {} as { gpu: number };
    this.check('nvmlDeviceGetUtilizationRates', this.call('utilization', d, u));
    return Number(u.gpu);
  }
  throttleMask(d: NvmlDevice): bigint {
    return BigInt(this.out<number | bigint>('nvmlDeviceGetCurrentClocksThrottleReasons', 'throttle', d));
  }
  /** PIDs of compute processes on the device. */
  computePids(d: NvmlDevice): number[] {
    if (!this.fn.processes) throw new Error('nvmlDeviceGetComputeRunningProcesses is missing from this NVML');
    const count = [0];
    const first = this.call('processes', d, count, null);
    if (first === NVML_SUCCESS) return [];
    if (first !== NVML_ERROR_INSUFFICIENT_SIZE) this.check('nvmlDeviceGetComputeRunningProcesses', first);
    // Room for processes that start between the two calls.
    const room = [Number(count[0]) + 4];
    const buf = Buffer.alloc(room[0]! * PROCESS_INFO_BYTES);
    this.check('nvmlDeviceGetComputeRunningProcesses', this.call('processes', d, room, buf));
    return Array.from({ length: Number(room[0]) }, (_, i) => buf.readUInt32LE(i * PROCESS_INFO_BYTES));
  }

  close(): void {
    if (this.initialised) this.call('shutdown');
    this.initialised = false;
    this.lib.unload();
  }
}
