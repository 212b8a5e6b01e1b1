import type { IdentityRef } from '../model/prospect.js';
import type { Identities } from '../model/touchpoint.js';
import { config } from '../util/config.js';
import { hmacHex, sha256Hex } from '../util/crypto.js';
import { normaliseEmail } from '../util/text.js';

/** Keyed hash of the normalised address: lookups by email without an address in any key. */
export function emailHash(email: string): string {
  return hmacHex(config.IDENTITY_HMAC_SECRET, normaliseEmail(email));
}

/**
 * The identities of a capture, strongest first: a userId is the customer's own stable id, an email is a
 * person, an anonymousId is a browser.
 */
export function identityRefs(identities: Identities): IdentityRef[] {
  const refs: IdentityRef[] = [];
  if (identities.userId) refs.push({ kind: 'user', value: identities.userId });
  if (identities.email) refs.push({ kind: 'email', value: emailHash(identities.email) });
  if (identities.anonymousId) refs.push({ kind: 'anon', value: identities.anonymousId });
  return refs;
}

/**
 * A new prospect's id is derived from its strongest identity, so the first write needs no lookup: the
 * transaction's alias condition proves the guess right, or sends the writer to resolve the identity.
 */
export function derivedProspectId(identity: IdentityRef): string {
  return hmacHex(config.IDENTITY_HMAC_SECRET, `prospect|${identity.kind}|${identity.value}`).slice(0, 24);
}

/** Deterministic, so a replayed event, or one moved by a merge, keeps its sort key. */
export function eventIdFor(scope: string, id: string): string {
  return sha256Hex(`${scope}|${id}`).slice(0, 24);
}

/**
 * Whether a prospect may be folded into another: it must not be a different known person. Anonymous
 * visitors always may; a profile known only by the same userId or email as the capture may too.
 */
export function mayMerge(loser: { userId?: string; emailHash?: string }, capture: IdentityRef[]): boolean {
  const userId = capture.find((ref) => ref.kind === 'user')?.value;
  const email = capture.find((ref) => ref.kind === 'email')?.value;
  return (!loser.userId || loser.userId === userId) && (!loser.emailHash || loser.emailHash === email);
}
