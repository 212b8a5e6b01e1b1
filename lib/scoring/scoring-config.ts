import { type Icp, icpSchema, type SegmentDefinition, segmentSchema } from '../model/icp.js';
import { getConfigVersion, getCurrentConfig, listConfigIds } from '../store/config-store.js';
import { config } from '../util/config.js';

const icps = new Map<string, Icp>();

/** One ICP version, parsed once per process: versions are immutable. */
export async function loadIcpVersion(icpId: string, version: number): Promise<Icp> {
  const key = `${icpId}@${version}`;
  const hit = icps.get(key);
  if (hit) return hit;
  const stored = await getConfigVersion<unknown>('icp', icpId, version);
  if (!stored) throw new Error(`ICP ${icpId} has no version ${version}`);
  const icp = icpSchema.parse(stored.document);
  icps.set(key, icp);
  return icp;
}

let segments: { value: SegmentDefinition[]; readAt: number } | undefined;

/** Every segment definition, current versions, cached like other config. */
export async function loadSegments(): Promise<SegmentDefinition[]> {
  if (segments && Date.now() - segments.readAt < config.CONFIG_CACHE_SECONDS * 1000) return segments.value;
  const ids = await listConfigIds('segment');
  const value: SegmentDefinition[] = [];
  for (const { id } of ids) {
    const stored = await getCurrentConfig<unknown>('segment', id);
    if (stored) value.push(segmentSchema.parse(stored.document));
  }
  segments = { value, readAt: Date.now() };
  return value;
}
