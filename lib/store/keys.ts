/**
 * Every key of the single table is spelled here and nowhere else.
 *
 * PK                              SK                       entity
 * P#<prospectId>                  PROFILE                  prospect profile (traits, consent, lifecycle, identities)
 * P#<prospectId>                  T#<isoTime>#<eventId>    touchpoint (time-ordered inside the prospect's partition)
 * ID#<kind>#<value>               ID                       identity alias -> prospect id (email as keyed hash)
 * DEDUP#<scope>#<id>              DEDUP                    "seen once" marker, with TTL
 * CFG#<kind>#<id>                 V#<version> | CURRENT    versioned configuration
 * SRCKEY#<sha256(writeKey)>       SRCKEY                   write key -> source id
 * STAT#<name>#<scope>             D#<yyyy-mm-dd>           daily counters (bots dropped, ...)
 */

export type TableKey = { PK: string; SK: string };

export type IdentityKind = 'email' | 'user' | 'anon';

const PROFILE_SK = 'PROFILE';
const TOUCHPOINT_PREFIX = 'T#';

export const keys = {
  prospectProfile: (prospectId: string): TableKey => ({ PK: `P#${prospectId}`, SK: PROFILE_SK }),
  touchpoint: (prospectId: string, occurredAt: string, eventId: string): TableKey => ({
    PK: `P#${prospectId}`,
    SK: `${TOUCHPOINT_PREFIX}${occurredAt}#${eventId}`,
  }),
  prospectPartition: (prospectId: string): string => `P#${prospectId}`,
  touchpointPrefix: TOUCHPOINT_PREFIX,
  identity: (kind: IdentityKind, value: string): TableKey => ({ PK: `ID#${kind}#${value}`, SK: 'ID' }),
  dedup: (scope: string, id: string): TableKey => ({ PK: `DEDUP#${scope}#${id}`, SK: 'DEDUP' }),
  configVersion: (kind: string, id: string, version: number): TableKey => ({
    PK: `CFG#${kind}#${id}`,
    SK: `V#${String(version).padStart(8, '0')}`,
  }),
  configCurrent: (kind: string, id: string): TableKey => ({ PK: `CFG#${kind}#${id}`, SK: 'CURRENT' }),
  sourceWriteKey: (writeKeyHash: string): TableKey => ({ PK: `SRCKEY#${writeKeyHash}`, SK: 'SRCKEY' }),
  dailyCounter: (name: string, scope: string, day: string): TableKey => ({
    PK: `STAT#${name}#${scope}`,
    SK: `D#${day}`,
  }),
};

export function prospectIdFromPartition(pk: string): string {
  return pk.startsWith('P#') ? pk.slice(2) : pk;
}

export function isTouchpointKey(sk: string): boolean {
  return sk.startsWith(TOUCHPOINT_PREFIX);
}
