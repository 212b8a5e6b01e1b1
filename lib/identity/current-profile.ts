import { NotFoundError } from '../model/errors.js';
import type { ProspectProfile } from '../model/prospect.js';
import type { Identities } from '../model/touchpoint.js';
import { getProfile } from '../store/profiles.js';

const MAX_MERGE_HOPS = 10;

/**
 * The profile an id stands for now, following merge forwarding addresses without writing: a reader never
 * finishes a merge (it may have no write permission); the next capture that touches the identity does. 404 when
 * there is none.
 */
export async function currentProfile(prospectId: string): Promise<ProspectProfile> {
  let current = prospectId;
  for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
    const profile = await getProfile(current);
    if (!profile) break;
    if (!profile.mergedInto) return profile;
    current = profile.mergedInto;
  }
  throw new NotFoundError('No such prospect');
}

/**
 * How a capture addresses a known person, strongest identity first, so merges and stitching apply to it as to
 * every capture; undefined for an anonymous visitor.
 */
export function knownIdentities(profile: ProspectProfile): Identities | undefined {
  if (profile.userId) return { userId: profile.userId };
  if (profile.email) return { email: profile.email };
  return undefined;
}
