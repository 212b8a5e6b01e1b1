import type { ExpectationCount } from '../experience/increments.js';
import { expectationIncrements } from '../experience/increments.js';
import { ANY_ICP, type CounterUpdate, counterUpdates } from '../store/aggregates.js';

/**
 * What promises given, met or broken add to the experience counters of their sequence. Committed in the
 * transaction that gives or decides them, so each counts once.
 */
export function expectationCounters(
  outcomes: readonly {
    prospectId: string;
    sequenceId: string;
    expectationId: string;
    givenAt: string;
    count: ExpectationCount;
  }[],
): CounterUpdate[] {
  return counterUpdates(
    ANY_ICP,
    outcomes.flatMap((outcome) => expectationIncrements(outcome)),
  );
}
