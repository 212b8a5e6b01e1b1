// Control characters other than tab, newline and carriage return never carry meaning in marketing data.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const MULTILINE_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/**
 * Well-formed Unicode without control characters, whitespace-collapsed and trimmed, at most `maxLength` code units.
 * Line breaks become spaces: single-line values (names, titles) end up in CSV exports and email headers.
 */
export function cleanLine(value: string, maxLength = 256): string {
  return truncate(
    value.toWellFormed().replace(MULTILINE_CONTROLS, '').replace(/\s+/g, ' ').trim(),
    maxLength,
  ).trimEnd();
}

/** Like cleanLine but keeps line breaks, for free text such as a message. */
export function cleanText(value: string, maxLength = 4000): string {
  return truncate(
    value.toWellFormed().replace(MULTILINE_CONTROLS, '').replace(/\r\n?/g, '\n').trim(),
    maxLength,
  ).trimEnd();
}

function truncate(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  // Never cut a surrogate pair in half.
  return value
    .slice(0, maxLength)
    .toWellFormed()
    .replace(/\uFFFD$/, '');
}

// Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 parsing accepts addresses no mail provider delivers to.
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL_SHAPE.test(value);
}

/** The form used for lookups and hashing: trimmed, lower-cased, NFKC so look-alike full-width forms compare equal. */
export function normaliseEmail(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}

export function emailDomain(email: string): string {
  return normaliseEmail(email).split('@')[1] ?? '';
}

/** Keys that would touch an object's prototype if assigned with `obj[key] = value`. */
export function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
