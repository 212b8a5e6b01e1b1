import type { Enrollment, StepOutcome } from '../store/enrollments.js';
import { nextSendTime, stepDueTime } from './schedule.js';
import type { Sequence } from './sequence.js';

/** The enrollment after a step is done: the next step's due time in the window, or completed. */
export function advanced(
  enrollment: Enrollment,
  sequence: Sequence,
  now: Date,
  outcome: StepOutcome,
): Enrollment {
  const history = [...enrollment.history, outcome].slice(-sequence.steps.length);
  const nextIndex = enrollment.stepIndex + 1;
  const nextStep = sequence.steps[nextIndex];
  if (!nextStep) return { ...finished({ ...enrollment, history }, now), stepIndex: nextIndex };
  const due = nextSendTime(stepDueTime(now, nextStep.delay), sequence.sendWindow, enrollment.timezone);
  return {
    ...enrollment,
    history,
    stepIndex: nextIndex,
    nextDueAt: due.toISOString(),
    updatedAt: now.toISOString(),
  };
}

export function finished(enrollment: Enrollment, now: Date): Enrollment {
  const { nextDueAt: _due, ...rest } = enrollment;
  return { ...rest, status: 'completed', updatedAt: now.toISOString() };
}
