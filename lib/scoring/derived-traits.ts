import type { Traits } from '../model/traits.js';
import { emailDomain } from '../util/text.js';

export type Seniority = 'executive' | 'vp' | 'director' | 'manager' | 'individual' | 'unknown';
export type EmailType = 'business' | 'free-mail' | 'competitor' | 'unknown';

// Consumer mailbox providers: an address here says nothing about an employer.
const FREE_MAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.fr',
  'yahoo.de',
  'ymail.com',
  'hotmail.com',
  'hotmail.co.uk',
  'hotmail.fr',
  'outlook.com',
  'live.com',
  'msn.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'mail.com',
  'mail.ru',
  'yandex.com',
  'yandex.ru',
  'qq.com',
  '163.com',
  '126.com',
  'zoho.com',
  'fastmail.com',
  'hey.com',
  'tutanota.com',
  'orange.fr',
  'free.fr',
  'laposte.net',
  'libero.it',
  'btinternet.com',
  'comcast.net',
]);

const SENIORITY_PATTERNS: [Seniority, RegExp][] = [
  [
    'executive',
    /\b(chief|ceo|cto|cfo|coo|cmo|cio|ciso|cro|founder|co-?founder|owner|president|managing director|partner)\b/i,
  ],
  ['vp', /\b(vp|svp|evp|vice[- ]president)\b/i],
  ['director', /\b(director|head of)\b/i],
  ['manager', /\b(manager|lead|principal)\b/i],
];

export function seniorityOf(title: string | undefined): Seniority {
  if (!title) return 'unknown';
  for (const [level, pattern] of SENIORITY_PATTERNS) if (pattern.test(title)) return level;
  return 'individual';
}

export function emailTypeOf(email: string | undefined, competitorDomains: readonly string[]): EmailType {
  if (!email) return 'unknown';
  const domain = emailDomain(email);
  const isOrUnder = (candidate: string) => domain === candidate || domain.endsWith(`.${candidate}`);
  if (competitorDomains.some((competitor) => isOrUnder(competitor.toLowerCase()))) return 'competitor';
  if (FREE_MAIL.has(domain)) return 'free-mail';
  return 'business';
}

export type RuleTraits = Traits & { seniority: Seniority; emailType: EmailType };

export function ruleTraits(traits: Traits, competitorDomains: readonly string[] = []): RuleTraits {
  return {
    ...traits,
    seniority: seniorityOf(traits.title),
    emailType: emailTypeOf(traits.email, competitorDomains),
  };
}
