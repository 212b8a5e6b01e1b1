/**
 * Picks the onboarding sequence for a new customer: the first whose match holds, by ascending priority,
 * ties by id (a total order, so the choice never depends on the order sequences were loaded in). A
 * customer who fits none gets none, with a reason fit to be recorded on the enrollment attempt and read by
 * marketing ops.
 */
import type { Grade } from '../model/icp.js';
import { planIn, type Sequence, type SequenceMatch } from './sequence.js';

export type Customer = {
  /** The customer's grade per ICP id. */
  grades: Readonly<Record<string, Grade>>;
  segments: readonly string[];
  plan?: string | undefined;
};

type Candidate = Pick<Sequence, 'id' | 'priority' | 'match'>;

export type SequenceChoice<S extends Candidate> =
  | { sequence: S; reason: string }
  | { sequence: null; reason: string };

// Reasons are stored and shown; a few hundred sequences or ICPs must not make them unbounded.
const MAX_EXPLAINED = 5;
const MAX_LISTED = 5;
export const MAX_REASON_LENGTH = 1000;

export function chooseSequence<S extends Candidate>(
  sequences: readonly S[],
  customer: Customer,
): SequenceChoice<S> {
  const ordered = [...sequences].sort(byPriority);
  const misses: string[] = [];
  for (const sequence of ordered) {
    const failures = matchFailures(sequence.match, customer);
    if (failures.length === 0)
      return { sequence, reason: `${sequence.id} (priority ${sequence.priority}) matches` };
    if (misses.length < MAX_EXPLAINED)
      misses.push(`${sequence.id} (priority ${sequence.priority}) ${failures.join(' and ')}`);
  }
  if (ordered.length === 0) return { sequence: null, reason: 'no sequence matches: none is defined' };
  const more = ordered.length - misses.length;
  const reason = `no sequence matches: ${misses.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  return { sequence: null, reason: truncate(reason, MAX_REASON_LENGTH) };
}

function byPriority(a: Candidate, b: Candidate): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Every part of the match that does not hold, in words; empty when it matches. */
export function matchFailures(match: SequenceMatch, customer: Customer): string[] {
  const failures: string[] = [];
  const graded = Object.entries(customer.grades);
  const onIcps = match.icps ? graded.filter(([icp]) => match.icps?.includes(icp)) : graded;
  const has = (entries: [string, Grade][]) =>
    entries.length === 0 ? 'has none' : `has ${list(entries.map(([icp, grade]) => `${grade} on ${icp}`))}`;
  if (match.grades) {
    const wanted = match.grades;
    if (!onIcps.some(([, grade]) => wanted.includes(grade))) {
      const where = match.icps ? list(match.icps, ' or ') : 'any ICP';
      failures.push(`needs grade ${wanted.join(' or ')} on ${where} (${has(onIcps)})`);
    }
  } else if (match.icps && onIcps.length === 0) {
    failures.push(`needs a grade on ${list(match.icps, ' or ')} (${has(graded)})`);
  }
  if (match.segments && !match.segments.some((segment) => customer.segments.includes(segment))) {
    const inSegments = customer.segments.length === 0 ? 'in none' : `in ${list(customer.segments)}`;
    failures.push(`needs segment ${list(match.segments, ' or ')} (${inSegments})`);
  }
  if (match.plans && !planIn(customer.plan, match.plans)) {
    const plan = customer.plan === undefined ? 'has no plan' : `has ${customer.plan}`;
    failures.push(`needs plan ${list(match.plans, ' or ')} (${truncate(plan, 100)})`);
  }
  return failures;
}

function list(items: readonly string[], separator = ', '): string {
  const shown = items.slice(0, MAX_LISTED).map((item) => truncate(item, 100));
  const rest = items.length - shown.length;
  return shown.join(separator) + (rest > 0 ? ` (+${rest} more)` : '');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
