// What a site profile tells the analysis: prices, carbon intensity, GPUs per node and datasheet peaks.
// The site owns these facts; analysis/ (ranking, peaks) and the report read them.
import type { SiteProfile } from './schema.js';

/** Datasheet peaks of a GPU, declared in a site profile or known by GPU name (analysis/peaks.ts). */
export interface Peaks {
  label: string;
  /** TFLOP/s by precision; fp32 is the non-tensor-core rate (TF32 tensor cores can exceed it). */
  tflops: { fp32?: number; tf32?: number; fp16?: number; fp64?: number };
  /** Memory bandwidth, GB/s. */
  bandwidthGBs?: number;
  source: string;
}

/** A link's peak for comm figures (busbw is comparable to it whatever the rank count), from the site profile. */
export interface LinkPeak {
  /** The link in the site's words, e.g. "NVLink 3" or "2× dual-port InfiniBand HDR". */
  link: string;
  /** Peak per direction, GB/s; undefined when the profile names the link without its rate. */
  gbPerSec?: number;
}

/** What the ranking and the report need about a site. */
export interface SiteFacts {
  /** Price of one node-hour, and the node's GPU count, to price a GPU-hour. */
  nodeHourCost?: number;
  currency?: string;
  gpusPerNode?: number;
  /** Grid carbon intensity, gCO2e per kWh. */
  carbonGPerKWh?: number;
  /** Price of energy billed on top of node-hours, per kWh, in `currency`. */
  energyPricePerKWh?: number;
  /** Datasheet peaks declared in the site profile (preferred over the ones fedbench knows by GPU name). */
  peaks?: Peaks;
  /** Inside a node (per GPU) and between nodes (the node's rails together), from facts.interconnect. */
  links?: { intraNode?: LinkPeak; interNode?: LinkPeak; source: string };
}

/** A profile's facts in the ranking's terms. */
export function siteFacts(site: Pick<SiteProfile, 'facts'> & { name?: string }): SiteFacts {
  const f = site.facts;
  return {
    gpusPerNode: f.gpu.perNode,
    ...(f.nodeHourCost !== undefined ? { nodeHourCost: f.nodeHourCost } : {}),
    ...(f.currency !== undefined ? { currency: f.currency } : {}),
    ...(f.carbonGPerKWh !== undefined ? { carbonGPerKWh: f.carbonGPerKWh } : {}),
    ...(f.energyPricePerKWh !== undefined ? { energyPricePerKWh: f.energyPricePerKWh } : {}),
    ...(profilePeaks(site) ? { peaks: profilePeaks(site)! } : {}),
    ...(profileLinks(site) ? { links: profileLinks(site)! } : {}),
  };
}

function profileLinks(site: Pick<SiteProfile, 'facts'> & { name?: string }): SiteFacts['links'] {
  const i = site.facts.interconnect;
  if (!i?.intraNode && !i?.interNode) return undefined;
  const intra = i.intraNode;
  const inter = i.interNode;
  return {
    ...(intra
      ? { intraNode: { link: intra.link, ...(intra.gbPerSecPerGpu ? { gbPerSec: intra.gbPerSecPerGpu } : {}) } }
      : {}),
    // line rate in Gb/s → GB/s per direction, as busbw is counted
    ...(inter
      ? { interNode: { link: inter.link, ...(inter.gbitPerNode ? { gbPerSec: inter.gbitPerNode / 8 } : {}) } }
      : {}),
    source: `site profile${site.name ? ` ${site.name}` : ''} (facts.interconnect; ${site.facts.sources.join('; ') || 'no source named'})`,
  };
}

/** The profile's declared peaks in the report's terms, or undefined when it declares no compute or bandwidth figure. */
function profilePeaks(site: Pick<SiteProfile, 'facts'> & { name?: string }): Peaks | undefined {
  const p = site.facts.peak;
  if (
    p.fp32TFlops === undefined &&
    p.fp16TensorTFlops === undefined &&
    p.tf32TensorTFlops === undefined &&
    p.fp64TFlops === undefined &&
    p.hbmGBs === undefined
  )
    return undefined;
  return {
    label: site.facts.gpu.model,
    tflops: {
      ...(p.fp32TFlops !== undefined ? { fp32: p.fp32TFlops } : {}),
      ...(p.tf32TensorTFlops !== undefined ? { tf32: p.tf32TensorTFlops } : {}),
      ...(p.fp16TensorTFlops !== undefined ? { fp16: p.fp16TensorTFlops } : {}),
      ...(p.fp64TFlops !== undefined ? { fp64: p.fp64TFlops } : {}),
    },
    ...(p.hbmGBs !== undefined ? { bandwidthGBs: p.hbmGBs } : {}),
    source: `site profile${site.name ? ` ${site.name}` : ''} (facts.peak)`,
  };
}
