// What links this node to the others and its GPUs to each other, as the node itself reports it: the InfiniBand
// ports in sysfs (state and rate per port, as `ibstat` shows them) and `nvidia-smi topo -m`. Read once per process
// with the rest of the system's provenance, so a comm figure can be read against the links that were really up.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOPOLOGY_MAX_CHARS = 8192;

export interface InfinibandPort {
  /** The HCA, e.g. mlx5_0. */
  device: string;
  port: number;
  /** As sysfs says it, e.g. "4: ACTIVE". */
  state: string;
  /** As sysfs says it, e.g. "200 Gb/sec (4X HDR)". */
  rate: string;
  gbitPerSec: number | null;
  /** InfiniBand, or Ethernet for a RoCE port. */
  linkLayer: string;
}

async function text(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** Every port of every HCA under `root` (sysfs), in name order; empty where there is none. */
export async function infinibandPorts(root = '/sys/class/infiniband'): Promise<InfinibandPort[]> {
  const devices = await readdir(root).catch(() => [] as string[]);
  const out: InfinibandPort[] = [];
  for (const device of devices.sort()) {
    const ports = await readdir(path.join(root, device, 'ports')).catch(() => [] as string[]);
    for (const port of ports.sort((a, b) => Number(a) - Number(b))) {
      const dir = path.join(root, device, 'ports', port);
      const rate = (await text(path.join(dir, 'rate'))) ?? 'unknown';
      const gbit = /^([\d.]+)\s*Gb\/sec/.exec(rate);
      out.push({
        device,
        port: Number(port),
        state: (await text(path.join(dir, 'state'))) ?? 'unknown',
        rate,
        gbitPerSec: gbit ? Number(gbit[1]) : null,
        linkLayer: (await text(path.join(dir, 'link_layer'))) ?? 'unknown',
      });
    }
  }
  return out;
}

/** `nvidia-smi topo -m` as printed (NV# for NVLink, PIX/PXB/PHB/NODE/SYS for PCIe paths), or null without GPUs. */
export async function gpuTopology(gpuCount: number, smi = 'nvidia-smi'): Promise<string | null> {
  if (gpuCount === 0) return null;
  try {
    const { stdout } = await run(smi, ['topo', '-m'], { timeout: 15_000 });
    return stdout.trimEnd().slice(0, TOPOLOGY_MAX_CHARS);
  } catch {
    return null;
  }
}
