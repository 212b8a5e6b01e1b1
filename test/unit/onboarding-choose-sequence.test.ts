import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Customer, chooseSequence, MAX_REASON_LENGTH } from '../../lib/onboarding/choose-sequence.js';
import type { SequenceMatch } from '../../lib/onboarding/sequence.js';

type Candidate = { id: string; priority: number; match: SequenceMatch };

const sequence = (id: string, priority: number, match: SequenceMatch = {}): Candidate => ({
  id,
  priority,
  match,
});

const customer = (overrides: Partial<Customer> = {}): Customer => ({
  grades: { 'saas-midmarket': 'B', agency: 'D' },
  segments: ['midmarket'],
  plan: 'Pro',
  ...overrides,
});

describe('chooseSequence', () => {
  it('chooses the matching sequence with the lowest priority number', () => {
    const sequences = [
      sequence('general', 100),
      sequence('midmarket-b', 20, { icps: ['saas-midmarket'], grades: ['A', 'B'] }),
      sequence('midmarket-a', 10, { icps: ['saas-midmarket'], grades: ['A'] }),
    ];

    const choice = chooseSequence(sequences, customer());

    expect(choice.sequence?.id).toBe('midmarket-b');
    expect(choice.reason).toBe('midmarket-b (priority 20) matches');
  });

  it('breaks priority ties by id, whatever the order the sequences come in', () => {
    const sequences = [sequence('zeta', 5), sequence('alpha', 5), sequence('mid', 5)];

    expect(chooseSequence(sequences, customer()).sequence?.id).toBe('alpha');
    expect(chooseSequence([...sequences].reverse(), customer()).sequence?.id).toBe('alpha');
  });

  it('matches grades on any ICP when the match names none', () => {
    expect(chooseSequence([sequence('d', 1, { grades: ['D'] })], customer()).sequence?.id).toBe('d');
    expect(chooseSequence([sequence('a', 1, { grades: ['A'] })], customer()).sequence).toBeNull();
  });

  it('matches grades only on the listed ICPs', () => {
    const onAgency = sequence('agency-b', 1, { icps: ['agency'], grades: ['B'] });

    expect(chooseSequence([onAgency], customer()).sequence).toBeNull();
  });

  it('asks only for a grade on one of the ICPs when no grades are listed', () => {
    const anyGrade = sequence('agency', 1, { icps: ['agency', 'other'] });

    expect(chooseSequence([anyGrade], customer()).sequence?.id).toBe('agency');
    expect(chooseSequence([anyGrade], customer({ grades: {} })).reason).toBe(
      'no sequence matches: agency (priority 1) needs a grade on agency or other (has none)',
    );
  });

  it('matches any of the listed segments', () => {
    const sequences = [sequence('seg', 1, { segments: ['enterprise', 'midmarket'] })];

    expect(chooseSequence(sequences, customer()).sequence?.id).toBe('seg');
    expect(chooseSequence(sequences, customer({ segments: ['smb'] })).sequence).toBeNull();
  });

  it('matches plans case-insensitively and never a customer without a plan', () => {
    const sequences = [sequence('pro', 1, { plans: ['pro', 'enterprise'] })];

    expect(chooseSequence(sequences, customer()).sequence?.id).toBe('pro');
    expect(chooseSequence(sequences, customer({ plan: undefined })).sequence).toBeNull();
  });

  it('requires every part of a match to hold', () => {
    const strict = sequence('strict', 1, {
      icps: ['saas-midmarket'],
      grades: ['B'],
      segments: ['midmarket'],
      plans: ['starter'],
    });

    expect(chooseSequence([strict], customer()).sequence).toBeNull();
    expect(chooseSequence([strict], customer({ plan: 'starter' })).sequence?.id).toBe('strict');
  });

  it('gives a customer who fits nothing no sequence, and says why each one did not match', () => {
    const sequences = [
      sequence('midmarket-a', 10, { icps: ['saas-midmarket'], grades: ['A'] }),
      sequence('enterprise', 20, { segments: ['enterprise'], plans: ['enterprise'] }),
    ];

    const choice = chooseSequence(sequences, customer());

    expect(choice).toEqual({
      sequence: null,
      reason:
        'no sequence matches: midmarket-a (priority 10) needs grade A on saas-midmarket (has B on saas-midmarket); ' +
        'enterprise (priority 20) needs segment enterprise (in midmarket) and needs plan enterprise (has Pro)',
    });
  });

  it('says when there is no sequence at all', () => {
    expect(chooseSequence([], customer())).toEqual({
      sequence: null,
      reason: 'no sequence matches: none is defined',
    });
  });

  it('keeps the reason bounded however many sequences and grades there are', () => {
    const grades = Object.fromEntries(
      Array.from({ length: 200 }, (_, index) => [`icp-${index}`, 'D' as const]),
    );
    const sequences = Array.from({ length: 300 }, (_, index) =>
      sequence(`sequence-${index}`, index, {
        grades: ['A'],
        segments: ['x'.repeat(60)],
        plans: ['p'.repeat(100)],
      }),
    );

    const choice = chooseSequence(sequences, customer({ grades, plan: 'q'.repeat(10_000) }));

    expect(choice.sequence).toBeNull();
    expect(choice.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(choice.reason).toMatch(/^no sequence matches: sequence-0 \(priority 0\) needs grade A on any ICP/);
  });

  it('chooses the first match in priority and id order, whatever the input order (property)', () => {
    const matchArbitrary = fc.record(
      {
        grades: fc.subarray(['A', 'B', 'C', 'D'] as const, { minLength: 1 }),
        segments: fc.subarray(['smb', 'midmarket', 'enterprise'], { minLength: 1 }),
        plans: fc.subarray(['free', 'pro'], { minLength: 1 }),
      },
      { requiredKeys: [] },
    );
    const sequencesArbitrary = fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
        priority: fc.integer({ min: 0, max: 5 }),
        match: matchArbitrary,
      }),
      { selector: (candidate) => candidate.id, maxLength: 8 },
    );
    const withShuffle = sequencesArbitrary.chain((sequences) =>
      fc.tuple(fc.constant(sequences), fc.shuffledSubarray(sequences, { minLength: sequences.length })),
    );
    fc.assert(
      fc.property(withShuffle, ([sequences, shuffled]) => {
        const chosen = chooseSequence(sequences, customer());
        expect(chooseSequence(shuffled, customer()).sequence?.id).toBe(chosen.sequence?.id);
        if (chosen.sequence) {
          const before = sequences.filter(
            (other) =>
              other.priority < chosen.sequence!.priority ||
              (other.priority === chosen.sequence!.priority && other.id < chosen.sequence!.id),
          );
          for (const other of before) expect(chooseSequence([other], customer()).sequence).toBeNull();
        }
      }),
    );
  });
});
