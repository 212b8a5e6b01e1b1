import * as z from 'zod';

/** The kinds of versioned configuration document. */
export type ConfigKind = 'form' | 'source' | 'icp' | 'segment' | 'sequence' | 'template' | 'sender';

export const configIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be lower-case letters, digits and hyphens, at most 63 characters',
  );

/** `http://localhost:*` allows any port; otherwise an exact origin such as `https://www.example.com`. */
export const originPatternSchema = z
  .string()
  .regex(
    /^https?:\/\/[a-z0-9.-]+(:(\d{1,5}|\*))?$/i,
    'must be an origin such as https://www.example.com or http://localhost:*',
  );

/** One mailbox, `Name <address>` or a bare address, on one line: what a From or Reply-To may hold. */
export const mailboxSchema = z
  .string()
  .max(320)
  .regex(
    /^([^<>\r\n",;]*<[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+>|[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+)$/,
    'must be one address, optionally as Name <address>',
  );

/** The address of a mailbox (`Name <a@b.c>` → `a@b.c`), lower-cased. */
export function mailboxAddress(mailbox: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailbox);
  return (match ? match[1]! : mailbox).trim().toLowerCase();
}
