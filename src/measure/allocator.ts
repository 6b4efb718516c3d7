// Keeps freed memory in the C heap for the rest of the process, so a workload's output buffers are reused
// instead of being handed back to the kernel and faulted in again on the next call.
//
// Why: onnxruntime-node copies every output into a fresh, zero-filled ArrayBuffer, and V8 frees it only at a
// later garbage collection. With glibc's defaults (buffers over 128 KiB are mmap'ed; a large free heap top is
// trimmed) each call then page-faults its whole output in again: measured on 2 vCPUs, GEMM n=512 through
// the binding took ~185 page faults per call (166,778 in a 4 s loop, against 3,486 for the same library
// driven from C++), and was 18% slower than the C++ loop; with these settings, faults fell tenfold and the
// gap by half (see ARCHITECTURE.md, "The engine runs as its own library does").
import koffi from 'koffi';
import { errorLine } from '../errors.js';

// glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64-bit (HEAP_MAX / 2).
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
const MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024;
const TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024;

let applied: string | null = null;

/** FEDBENCH_HEAP's values: unset or `kept` for fedbench's setting, `default` for glibc's defaults (to compare). */
const HEAP_CHOICES = ['kept', 'default'] as const;

/** What is wrong with FEDBENCH_HEAP, or null: a command refuses a value it does not know before it runs anything. */
export function heapChoiceProblem(value = process.env.FEDBENCH_HEAP): string | null {
  if (!value || (HEAP_CHOICES as readonly string[]).includes(value)) return null;
  return `FEDBENCH_HEAP='${value}' is not understood: 'default' keeps glibc's heap defaults (to compare); unset or 'kept' keeps freed memory for reuse while measuring`;
}

/**
 * Applies the settings once per process and says what was done, for the record (`measurement.harness.allocator`).
 * Elsewhere than glibc on Linux, or with FEDBENCH_HEAP=default (to compare), nothing is changed, and the answer
 * says why.
 */
export function keepFreedMemoryInHeap(): string {
  applied ??= apply();
  return applied;
}

function apply(): string {
  const problem = heapChoiceProblem();
  if (problem) return `default (${problem})`;
  if (process.env.FEDBENCH_HEAP === 'default') return 'default (FEDBENCH_HEAP=default)';
  if (process.platform !== 'linux') return `default (${process.platform}: not glibc)`;
  let glibc: string;
  let mallopt: (param: number, value: number) => number;
  try {
    // gnu_get_libc_version exists in glibc only: finding it is the check
    const libc = koffi.load('libc.so.6');
    glibc = (libc.func('const char *gnu_get_libc_version(void)') as () => string)();
    mallopt = libc.func('int mallopt(int param, int value)') as typeof mallopt;
  } catch (err) {
    return `default (not glibc: ${errorLine(err)})`;
  }
  const ok =
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1 && mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) === 1;
  if (!ok) return `default (glibc ${glibc} refused mallopt)`;
  return `glibc ${glibc}: freed memory kept in the heap (mallopt M_MMAP_THRESHOLD=32 MiB, M_TRIM_THRESHOLD=1 GiB)`;
}
