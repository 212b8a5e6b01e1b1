import { describe, expect, it } from 'vitest';
import { groupByPerson } from '../../lib/edge/capture/events-endpoint.js';
import {
  derivedProspectId,
  emailHash,
  eventIdFor,
  identityRefs,
  mayMerge,
} from '../../lib/identity/identity.js';
import type { Capture } from '../../lib/model/touchpoint.js';

describe('identityRefs', () => {
  it('orders identities strongest first and hashes the normalised email', () => {
    expect(identityRefs({ anonymousId: 'a', email: 'Ada@Example.com', userId: 'u' })).toEqual([
      { kind: 'user', value: 'u' },
      { kind: 'email', value: emailHash('ada@example.com') },
      { kind: 'anon', value: 'a' },
    ]);
  });

  it('never puts the address itself in a key', () => {
    expect(identityRefs({ email: 'ada@example.com' })[0]!.value).not.toContain('ada');
  });
});

describe('derived ids', () => {
  it('are stable per identity and differ between identities', () => {
    const ada = derivedProspectId({ kind: 'email', value: emailHash('ada@example.com') });
    expect(derivedProspectId({ kind: 'email', value: emailHash('ADA@example.com') })).toBe(ada);
    expect(derivedProspectId({ kind: 'anon', value: emailHash('ada@example.com') })).not.toBe(ada);
    expect(ada).toMatch(/^[a-f0-9]{24}$/);
    expect(eventIdFor('src:web', 'm1')).toBe(eventIdFor('src:web', 'm1'));
    expect(eventIdFor('src:web', 'm1')).not.toBe(eventIdFor('src:app', 'm1'));
  });
});

describe('mayMerge', () => {
  const capture = identityRefs({ userId: 'u1', email: 'ada@example.com', anonymousId: 'a1' });
  it('merges anonymous visitors', () => {
    expect(mayMerge({}, capture)).toBe(true);
  });
  it('merges a profile known only by the same email', () => {
    expect(mayMerge({ emailHash: emailHash('ada@example.com') }, capture)).toBe(true);
  });
  it('never merges a different known person', () => {
    expect(mayMerge({ userId: 'u2' }, capture)).toBe(false);
    expect(mayMerge({ emailHash: emailHash('grace@example.com') }, capture)).toBe(false);
  });
});

describe('groupByPerson', () => {
  const capture = (identities: Capture['identities'], name: string) =>
    ({ identities, touchpoint: { name } }) as unknown as Capture;
  it('keeps events that share any identity together, in order', () => {
    const groups = groupByPerson([
      capture({ anonymousId: 'a' }, 'page-1'),
      capture({ anonymousId: 'b' }, 'other'),
      capture({ anonymousId: 'a', email: 'x@example.com' }, 'identify'),
      capture({ email: 'X@example.com', userId: 'u' }, 'login'),
      capture({ userId: 'u' }, 'track'),
    ]);
    expect(groups.map((group) => group.map((item) => item.touchpoint.name))).toEqual([
      ['page-1', 'identify', 'login', 'track'],
      ['other'],
    ]);
  });
});
