import type { MailProvider } from '../mail/index.js';

/** What dispatching one due enrollment did; the run counts each. */
export type DispatchOutcome =
  | 'sent'
  | 'skipped'
  | 'exited'
  | 'rejected'
  | 'retried'
  | 'failed'
  | 'abandoned'
  | 'rescheduled'
  | 'completed'
  | 'busy'
  | 'not-due';

export type StepSender = {
  provider: MailProvider;
  /** The jitter of retry delays; tests pin it. */
  random?: () => number;
};
