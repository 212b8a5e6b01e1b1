/**
 * What starts a sequence (DESIGN.md §6): a conversion, a qualification, the first sales response to a hand-raise,
 * a given form, or a given track event. A person is in at most one sequence per start kind at a time.
 *
 * A start is written `"conversion"` (the kinds that need nothing more may be a bare string) or as an object:
 * `{ "kind": "qualified", "icp": "saas-midmarket" }` (any ICP when absent), `{ "kind": "first-response",
 * "form": "demo-request" }` (the hand-raise answered came through that form; any when absent),
 * `{ "kind": "form", "form": "newsletter" }`, `{ "kind": "event", "event": "Trial Started" }` (a glob).
 */
import * as z from 'zod';
import { configIdSchema } from '../model/config-ids.js';
import { globMatch } from '../scoring/glob.js';

export const START_KINDS = ['conversion', 'qualified', 'first-response', 'form', 'event'] as const;
export type StartKind = (typeof START_KINDS)[number];

const startObjectSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('conversion') }),
    z.strictObject({ kind: z.literal('qualified'), icp: configIdSchema.optional() }),
    z.strictObject({ kind: z.literal('first-response'), form: configIdSchema.optional() }),
    z.strictObject({ kind: z.literal('form'), form: configIdSchema }),
    z.strictObject({ kind: z.literal('event'), event: z.string().min(1).max(200) }),
  ],
  { error: `must be one of ${START_KINDS.join(', ')} (as {"kind": ...})` },
);

export type Start = z.infer<typeof startObjectSchema>;

export const startSchema = z.union(
  [
    z.enum(['conversion', 'qualified', 'first-response']).transform((kind) => ({ kind }) as Start),
    startObjectSchema,
  ],
  {
    error:
      'must be "conversion", "qualified", "first-response", {"kind": "form", "form": "<id>"} or {"kind": "event", "event": "<name>"}',
  },
);

/** Something that happened which may start a sequence. */
export type StartTrigger =
  | { kind: 'conversion' }
  | { kind: 'qualified'; icp: string }
  | { kind: 'first-response'; form: string | undefined }
  | { kind: 'form'; form: string }
  | { kind: 'event'; event: string };

/** Whether a sequence's start is what just happened. */
export function startMatches(start: Start, trigger: StartTrigger): boolean {
  switch (start.kind) {
    case 'conversion':
      return trigger.kind === 'conversion';
    case 'qualified':
      return trigger.kind === 'qualified' && (start.icp === undefined || start.icp === trigger.icp);
    case 'first-response':
      return trigger.kind === 'first-response' && (start.form === undefined || start.form === trigger.form);
    case 'form':
      return trigger.kind === 'form' && start.form === trigger.form;
    case 'event':
      return trigger.kind === 'event' && globMatch(start.event, trigger.event);
  }
}

/** The start in words, for reasons and the prospect view. */
export function describeStart(start: Start | StartTrigger): string {
  switch (start.kind) {
    case 'conversion':
      return 'conversion';
    case 'qualified':
      return start.icp ? `qualified on ${start.icp}` : 'qualified';
    case 'first-response':
      return start.form ? `first response to ${start.form}` : 'first response';
    case 'form':
      return `form ${start.form}`;
    case 'event':
      return `event ${start.event}`;
  }
}
