/**
 * Sequences that something on the stream starts (a qualification, the first sales response to a hand-raise, a
 * form, a track event), planned for the scorer's transaction: the touchpoint's scored mark makes the start happen
 * exactly once, however often the stream delivers the record. Conversions start theirs at the conversion endpoint.
 *
 * Rules: the same choice as at conversion (match on grades, segments and plan; priority), among the sequences whose
 * start is what happened; a person is in at most one sequence per start kind at a time (the lane), and goes
 * through a sequence at most once; a pre-sale (`qualified`) sequence needs marketing consent; nobody without an
 * email address is enrolled.
 */
import type { ProspectProfile } from '../model/prospect.js';
import type { Touchpoint } from '../model/touchpoint.js';
import { type EnrollmentStart, getEnrollment, type SequenceLane } from '../store/enrollments.js';
import { type Customer, chooseSequence } from './choose-sequence.js';
import { newEnrollment } from './enrollment-progress.js';
import { loadCurrentSequences } from './onboarding-config.js';
import { type StartTrigger, startMatches } from './sequence-start.js';

/** What a touchpoint (and what the scorer concluded from it) may start. */
export function startTriggers(input: {
  touchpoint?: Pick<Touchpoint, 'type' | 'name'> | undefined;
  /** The first sales response after a hand-raise was reached now, answering that form. */
  firstResponseTo?: { form: string | undefined } | undefined;
  /** ICPs the prospect qualified on now (announced). */
  qualifiedOn: readonly string[];
}): StartTrigger[] {
  const triggers: StartTrigger[] = [];
  const { touchpoint } = input;
  if (touchpoint?.type === 'form' && touchpoint.name) triggers.push({ kind: 'form', form: touchpoint.name });
  if (touchpoint?.type === 'track' && touchpoint.name)
    triggers.push({ kind: 'event', event: touchpoint.name });
  if (input.firstResponseTo) triggers.push({ kind: 'first-response', form: input.firstResponseTo.form });
  for (const icp of input.qualifiedOn) triggers.push({ kind: 'qualified', icp });
  return triggers;
}

export async function planStarts(input: {
  profile: ProspectProfile;
  lanes: readonly SequenceLane[];
  triggers: readonly StartTrigger[];
  customer: Customer;
  now: Date;
  /** Sequences a commit refused to start (gone through already, or the lane taken meanwhile). */
  refused: ReadonlySet<string>;
}): Promise<EnrollmentStart[]> {
  const { profile, now } = input;
  if (!input.triggers.length || !profile.email) return [];
  const sequences = await loadCurrentSequences();
  const starts: EnrollmentStart[] = [];
  const kinds = new Set<string>();
  for (const trigger of input.triggers) {
    if (kinds.has(trigger.kind)) continue;
    if (trigger.kind === 'qualified' && profile.consent?.marketing !== true) continue;
    const candidates = sequences.filter(
      (entry) => !input.refused.has(entry.sequence.id) && startMatches(entry.sequence.start, trigger),
    );
    const choice = chooseSequence(
      candidates.map((entry) => entry.sequence),
      input.customer,
    );
    if (!choice.sequence) continue;
    const sequence = choice.sequence;
    const lane = input.lanes.find((item) => item.kind === trigger.kind);
    if (lane?.sequenceId === sequence.id) continue;
    // The lane's last sequence still running: this kind waits until it is over.
    if (lane && (await getEnrollment(profile.prospectId, lane.sequenceId))?.status === 'active') continue;
    kinds.add(trigger.kind);
    starts.push({
      enrollment: newEnrollment({
        prospectId: profile.prospectId,
        sequence,
        version: candidates.find((entry) => entry.sequence.id === sequence.id)!.version,
        trigger,
        timezone: profile.timezone,
        plan: profile.plan,
        now,
      }),
      lane: { kind: trigger.kind, previous: lane?.sequenceId },
    });
  }
  return starts;
}
