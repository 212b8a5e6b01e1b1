/**
 * Who every email comes from, configured once (config kind `sender`, id `default`): the company's name and postal
 * address, which the footer of every email carries with its unsubscribe link (CAN-SPAM, 15 U.S.C. 7704(a)(5)).
 */
import * as z from 'zod';
import { escapeHtml } from '../util/html.js';
import type { MessageCategory } from './sequence.js';

export const SENDER_ID = 'default';

export const senderSchema = z.strictObject({
  id: z.literal(SENDER_ID, { error: `must be "${SENDER_ID}": one sender is configured for all mail` }),
  /** "Example Inc." */
  companyName: z.string().trim().min(1).max(200),
  /** A valid physical postal address (street, or a registered PO box), one or more lines. */
  postalAddress: z
    .string()
    .trim()
    .min(10, 'must be a full postal address')
    .max(500)
    .refine((value) => !/[<>{}]/.test(value), 'must be plain text'),
});
export type Sender = z.infer<typeof senderSchema>;

const WHY: Record<MessageCategory, (company: string) => string> = {
  transactional: (company) => `You receive this email because you have an account with ${company}.`,
  marketing: (company) => `You receive this email because you asked to hear from ${company}.`,
};

const UNSUBSCRIBE: Record<MessageCategory, string> = {
  transactional: 'Unsubscribe from onboarding emails',
  marketing: 'Unsubscribe from marketing emails',
};

/** The footer every email ends with: why it came, the sender's postal address, the category's unsubscribe link. */
export function renderFooter(
  sender: Sender,
  category: MessageCategory,
  unsubscribeUrl: string,
): { text: string; html: string } {
  const address = sender.postalAddress.replace(/\s*\r?\n\s*/g, ', ');
  const why = WHY[category](sender.companyName);
  return {
    text: `\n\n--\n${why}\n${UNSUBSCRIBE[category]}: ${unsubscribeUrl}\n${sender.companyName}, ${address}\n`,
    html: `<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px"><p style="font-size:12px;line-height:1.5;color:#666">${escapeHtml(why)} <a href="${escapeHtml(unsubscribeUrl)}" style="color:#666">${UNSUBSCRIBE[category]}</a>.<br>${escapeHtml(sender.companyName)}, ${escapeHtml(address)}</p>`,
  };
}

/** An HTML body with the footer inside its body element when it has one, else after it. */
export function appendHtml(html: string, footer: string): string {
  const close = html.search(/<\/body\s*>/i);
  return close === -1 ? `${html}${footer}` : `${html.slice(0, close)}${footer}${html.slice(close)}`;
}
