// Only GPUs the workload can use are metered: on a shared node NVML and nvidia-smi list every GPU, and
// another job's energy must not be booked to this one. CUDA_VISIBLE_DEVICES holds indices or UUIDs.

export interface ListedGpu {
  index: number;
  uuid?: string;
}

/** GPUs named by `visible` (all when it is unset); an empty or "-1"/"NoDevFiles" value hides every GPU. */
export function selectVisible<T extends ListedGpu>(gpus: readonly T[], visible: string | undefined): T[] {
  if (visible === undefined) return [...gpus];
  const chosen: T[] = [];
  // CUDA stops at the first entry it cannot parse; so do we.
  for (const entry of visible.split(',').map((e) => e.trim())) {
    const gpu = /^\d+$/.test(entry)
      ? gpus.find((g) => g.index === Number(entry))
      : entry.startsWith('GPU-')
        ? gpus.find((g) => g.uuid?.startsWith(entry))
        : undefined;
    if (!gpu) break;
    if (!chosen.includes(gpu)) chosen.push(gpu);
  }
  return chosen;
}
