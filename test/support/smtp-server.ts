import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpReply = { code: number; message?: string };

/** What the server answers at each stage; a stage left out accepts. */
export type ReplyPolicy = { mailFrom?: SmtpReply; rcptTo?: SmtpReply; data?: SmtpReply };

export type ReceivedMail = ParsedMail & {
  envelope: { from: string; to: string[] };
  /** The message as received, for assertions on the raw header block. */
  raw: string;
};

export type CapturingSmtpServer = {
  /** `smtp://user:pass@127.0.0.1:<port>`: any credentials are accepted. */
  url: string;
  /** Parsed before the server acknowledges DATA, so a resolved send is already here. */
  messages: ReceivedMail[];
  reply(policy: ReplyPolicy): void;
  close(): Promise<void>;
};

/** A real SMTP server on loopback and a random port, capturing what it accepts. */
export async function startSmtpServer(): Promise<CapturingSmtpServer> {
  const messages: ReceivedMail[] = [];
  let policy: ReplyPolicy = {};
  const refusal = (reply: SmtpReply | undefined) =>
    reply
      ? Object.assign(new Error(reply.message ?? `Refused by test policy (${reply.code})`), {
          responseCode: reply.code,
        })
      : null;

  const server = new SMTPServer({
    logger: false,
    // Plain text on loopback: no certificate to manage, and AUTH still exercised.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onMailFrom: (_address, _session, callback) => callback(refusal(policy.mailFrom)),
    onRcptTo: (_address, _session, callback) => callback(refusal(policy.rcptTo)),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const refused = refusal(policy.data);
        if (refused) return callback(refused);
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        const { mailFrom, rcptTo } = session.envelope;
        messages.push(
          Object.assign(parsed, {
            envelope: { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((rcpt) => rcpt.address) },
            raw,
          }),
        );
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://test:test@127.0.0.1:${port}`,
    messages,
    reply: (next) => {
      policy = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
