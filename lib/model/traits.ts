import { cleanLine, cleanText, emailDomain, isEmailAddress } from '../util/text.js';

/** The traits a prospect profile holds; every capture path maps its input onto these. */
export const TRAIT_NAMES = [
  'email',
  'firstName',
  'lastName',
  'name',
  'company',
  'title',
  'phone',
  'employees',
  'industry',
  'country',
  'timezone',
  'website',
  'message',
] as const;
export type TraitName = (typeof TRAIT_NAMES)[number];

export type Traits = Partial<{
  email: string;
  firstName: string;
  lastName: string;
  name: string;
  company: string;
  domain: string;
  title: string;
  phone: string;
  employees: number;
  industry: string;
  country: string;
  timezone: string;
  website: string;
  message: string;
}>;

export type TraitResult = { traits: Traits; errors: { trait: TraitName; message: string }[] };

/**
 * Cleans raw trait values from any source. Invalid values are reported per trait so the caller can
 * name the input field; values that are merely messy (controls, spacing, case) are repaired.
 */
export function cleanTraits(raw: Partial<Record<TraitName, unknown>>): TraitResult {
  const traits: Traits = {};
  const errors: TraitResult['errors'] = [];
  for (const name of TRAIT_NAMES) {
    const value = raw[name];
    if (value === undefined || value === null || value === '') continue;
    const result = cleanTrait(name, value);
    if (typeof result === 'object' && 'error' in result) errors.push({ trait: name, message: result.error });
    else if (result !== '') (traits as Record<string, unknown>)[name] = result;
  }
  if (traits.email) traits.domain = emailDomain(traits.email);
  if (!traits.name && (traits.firstName || traits.lastName)) {
    traits.name = [traits.firstName, traits.lastName].filter(Boolean).join(' ');
  }
  return { traits, errors };
}

function cleanTrait(name: TraitName, value: unknown): string | number | { error: string } {
  if (typeof value === 'object') return { error: 'must be a single value' };
  const text = String(value);
  switch (name) {
    case 'email': {
      const email = cleanLine(text, 254);
      return isEmailAddress(email) ? email : { error: 'must be an email address' };
    }
    case 'employees': {
      const count = parseEmployeeCount(text);
      return count === undefined
        ? { error: 'must be a whole number of employees, such as 250 or 51-200' }
        : count;
    }
    case 'country': {
      const country = cleanLine(text, 56);
      return /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : country;
    }
    case 'phone': {
      const phone = cleanLine(text, 40);
      return /^[+()\d\s.\-x]{4,40}$/i.test(phone) ? phone : { error: 'must be a phone number' };
    }
    case 'timezone': {
      const zone = cleanLine(text, 64);
      return isTimeZone(zone) ? zone : { error: 'must be an IANA time zone such as Europe/Berlin' };
    }
    case 'message':
      return cleanText(text, 4000);
    default:
      return cleanLine(text, 256);
  }
}

/** "250", "1,000", "51-200" (lower bound of a range, as forms usually offer), "1000+". */
export function parseEmployeeCount(text: string): number | undefined {
  const match = /^\s*(\d{1,3}(?:[,.\s]?\d{3})*|\d+)\s*(?:(?:-|–|to)\s*\d[\d,.\s]*|\+)?\s*$/.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]!.replace(/[,.\s]/g, ''));
  return Number.isSafeInteger(count) && count >= 0 && count <= 10_000_000 ? count : undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
