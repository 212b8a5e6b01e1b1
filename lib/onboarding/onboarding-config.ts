/**
 * Sequences and templates as configuration: what a template may mention, the checks that run when either is
 * stored (so a template or sequence that cannot render fails at config time, with a 400 naming the field),
 * and loading them for enrollment and dispatch.
 */
import { mailboxAddress } from '../model/config-ids.js';
import type { FieldError } from '../model/errors.js';
import { getConfigVersion, getCurrentConfig, listConfigIds } from '../store/config-store.js';
import type { GivenExpectation } from '../store/enrollments.js';
import { config } from '../util/config.js';
import { SENDER_ID, type Sender, senderSchema } from './sender.js';
import { type Sequence, sequenceSchema } from './sequence.js';
import {
  type Template,
  type TemplateValues,
  templatePlaceholders,
  templateSchema,
  validateTemplate,
} from './template.js';

/** Profile traits a template may use; contact details such as phone are deliberately not among them. */
export const TEMPLATE_TRAITS = [
  'email',
  'firstName',
  'lastName',
  'name',
  'company',
  'title',
  'industry',
  'country',
] as const;

const FIXED_NAMES = new Set<string>([
  ...TEMPLATE_TRAITS,
  'plan',
  'sequence.name',
  'unsubscribeUrl',
  'sender.companyName',
]);
const EXPECTATION = /^expectations\.([a-z0-9][a-z0-9-]{0,62})(\.deadline)?$/;

/** Whether `{{name}}` may appear in a template: fixed names, and `expectations.<id>[.deadline]` of any id. */
export function isAllowedPlaceholder(name: string): boolean {
  return FIXED_NAMES.has(name) || EXPECTATION.test(name);
}

/** Expectation ids a template mentions (`{{expectations.<id>}}` or its `.deadline`). */
export function expectationsMentioned(template: Pick<Template, 'subject' | 'text' | 'html'>): Set<string> {
  const ids = new Set<string>();
  for (const name of templatePlaceholders(template)) {
    const match = EXPECTATION.exec(name);
    if (match) ids.add(match[1]!);
  }
  return ids;
}

/** Placeholders outside the allowed names, as field errors (`html: unknown placeholder {{phone}} at ...`). */
export function templateErrors(template: Template): FieldError[] {
  return validateTemplate(template, isAllowedPlaceholder);
}

/**
 * A sequence's references, checked against the templates stored now: every step's template exists, every
 * expectation a template mentions is one the sequence sets, and every expectation it sets is told by at least
 * one step (a promise never told cannot be kept or broken).
 */
export async function sequenceErrors(
  sequence: Sequence,
  loadTemplate: (id: string) => Promise<Template | undefined> = loadTemplate_,
): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  for (const field of ['from', 'replyTo'] as const) {
    const mailbox = sequence[field];
    if (mailbox !== undefined && !isVerifiedIdentity(mailbox))
      errors.push({
        field,
        message: `must be a verified sender identity (MAIL_IDENTITIES: ${config.MAIL_IDENTITIES.join(', ')})`,
      });
  }
  const set = new Set(sequence.expectations.map((expectation) => expectation.id));
  const told = new Set<string>();
  for (const [index, step] of sequence.steps.entries()) {
    if (step.template === undefined) continue;
    const template = await loadTemplate(step.template);
    if (!template) {
      errors.push({ field: `steps.${index}.template`, message: `no template "${step.template}" exists` });
      continue;
    }
    for (const id of expectationsMentioned(template)) {
      told.add(id);
      if (!set.has(id))
        errors.push({
          field: `steps.${index}.template`,
          message: `template "${step.template}" mentions {{expectations.${id}}}, which this sequence does not set`,
        });
    }
  }
  for (const [index, expectation] of sequence.expectations.entries())
    if (!told.has(expectation.id))
      errors.push({
        field: `expectations.${index}`,
        message: `no step's template mentions {{expectations.${expectation.id}}}: a promise must be told`,
      });
  return errors;
}

/** An address that is, or is at a domain that is, one of MAIL_IDENTITIES. */
export function isVerifiedIdentity(mailbox: string): boolean {
  const address = mailboxAddress(mailbox);
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return config.MAIL_IDENTITIES.some((identity) => identity === address || identity === domain);
}

/** The one sender configuration (company name and postal address for every footer), if it exists. */
export async function loadSender(): Promise<Sender | undefined> {
  const stored = await getCurrentConfig<unknown>('sender', SENDER_ID);
  return stored ? senderSchema.parse(stored.document) : undefined;
}

async function loadTemplate_(id: string): Promise<Template | undefined> {
  const stored = await getCurrentConfig<unknown>('template', id);
  return stored ? templateSchema.parse(stored.document) : undefined;
}

export { loadTemplate_ as loadTemplate };

const sequenceVersions = new Map<string, Sequence>();

/** One sequence version, parsed once per process: versions are immutable. */
export async function loadSequenceVersion(id: string, version: number): Promise<Sequence | undefined> {
  const key = `${id}@${version}`;
  const hit = sequenceVersions.get(key);
  if (hit) return hit;
  const stored = await getConfigVersion<unknown>('sequence', id, version);
  if (!stored) return undefined;
  const sequence = sequenceSchema.parse(stored.document);
  sequenceVersions.set(key, sequence);
  return sequence;
}

/**
 * The current version of every sequence, for choosing one when something starts a sequence. The stream asks on
 * every form and track event: the list is cached for CONFIG_CACHE_SECONDS, versions for good (immutable).
 */
export async function loadCurrentSequences(): Promise<{ sequence: Sequence; version: number }[]> {
  const found: { sequence: Sequence; version: number }[] = [];
  for (const { id, version } of await listConfigIds('sequence', { cached: true })) {
    const sequence = await loadSequenceVersion(id, version);
    if (sequence) found.push({ sequence, version });
  }
  return found;
}

/** What a template renders with: the allowed traits, the plan, the sequence's name and its expectations. */
export function templateValues(input: {
  traits: Partial<Record<(typeof TEMPLATE_TRAITS)[number], unknown>>;
  plan: string | undefined;
  sequence: Pick<Sequence, 'name' | 'expectations'>;
  given: readonly GivenExpectation[];
  timezone: string;
  unsubscribeUrl: string;
  sender: Sender;
}): TemplateValues {
  const values: Record<string, string | number | undefined> = {
    plan: input.plan,
    'sequence.name': input.sequence.name,
    unsubscribeUrl: input.unsubscribeUrl,
    'sender.companyName': input.sender.companyName,
  };
  for (const trait of TEMPLATE_TRAITS) {
    const value = input.traits[trait];
    if (typeof value === 'string' || typeof value === 'number') values[trait] = value;
  }
  for (const expectation of input.sequence.expectations) {
    values[`expectations.${expectation.id}`] = expectation.text;
    const given = input.given.find((item) => item.id === expectation.id);
    if (given) values[`expectations.${expectation.id}.deadline`] = localDate(given.deadline, input.timezone);
  }
  return values;
}

// A deadline is the instant the promise lapses (often a local midnight): shown as the last minute still in time.
// Assembled from parts, so the wording does not change with the runtime's ICU version.
function localDate(iso: string, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(Date.parse(iso) - 60_000))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}
