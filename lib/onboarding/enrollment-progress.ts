import type { Enrollment, StepOutcome } from '../store/enrollments.js';
import { nextSendTime, sendTimeZone, stepDueTime } from './schedule.js';
import type { Sequence } from './sequence.js';
import { describeStart, type StartTrigger } from './sequence-start.js';

/** A new active enrollment: its first step due after its delay, inside the window, in the person's time zone. */
export function newEnrollment(input: {
  prospectId: string;
  sequence: Sequence;
  version: number;
  trigger: StartTrigger;
  timezone: string | undefined;
  plan: string | undefined;
  now: Date;
}): Enrollment {
  const { sequence, now } = input;
  const timezone = sendTimeZone(sequence.sendWindow, input.timezone);
  const firstDue = nextSendTime(stepDueTime(now, sequence.steps[0]!.delay), sequence.sendWindow, timezone);
  return {
    prospectId: input.prospectId,
    sequenceId: sequence.id,
    sequenceVersion: input.version,
    start: { kind: input.trigger.kind, detail: describeStart(input.trigger) },
    status: 'active',
    enrolledAt: now.toISOString(),
    updatedAt: now.toISOString(),
    stepIndex: 0,
    nextDueAt: firstDue.toISOString(),
    timezone,
    ...(input.plan ? { plan: input.plan } : {}),
    expectations: [],
    history: [],
  };
}

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
