import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type InboundSmtp = { url: string; stop: () => Promise<void> };

/**
 * The local stand-in for SES receiving: an SMTP server on loopback that hands every message it accepts, with its
 * envelope recipients, to `deliver` (the same adapter the S3-triggered captureReplies uses), and answers only once
 * that is done, so a sender that got "250" knows the reply is recorded.
 */
export async function startInboundSmtp(options: {
  host: string;
  port: number;
  maxBytes: number;
  deliver: (raw: Buffer, envelopeRecipients: string[]) => Promise<unknown>;
}): Promise<InboundSmtp> {
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: options.maxBytes,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= options.maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (size > options.maxBytes)
          return callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        options.deliver(Buffer.concat(chunks), recipients).then(
          () => callback(),
          (error: Error) => {
            process.stderr.write(`inbound mail failed: ${error.stack}\n`);
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${options.host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
