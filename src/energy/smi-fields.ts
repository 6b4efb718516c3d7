// Reading nvidia-smi's `--format=csv,noheader,nounits` fields, shared by the sampler and the GPU inventory.
// Kept in energy/ without imports: the energy folder runs on its own in the sampler tests.

/** A text field of nvidia-smi's CSV: "[N/A]", "[Not Supported]" or "" is no value. */
export function smiText(field: string | undefined): string | undefined {
  const f = field?.trim();
  return f && !/^\[.*\]$/.test(f) ? f : undefined;
}

/** A number field of nvidia-smi's CSV: "[N/A]", "[Not Supported]" or "" is no value, never 0. */
export function smiNumber(field: string | undefined): number | undefined {
  const v = Number(field?.trim());
  return field !== undefined && /\d/.test(field) && Number.isFinite(v) ? v : undefined;
}
