import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.LOG_LEVEL = 'debug';
});

import { handler as captureEvents } from '../../functions/capture-events.js';
import { handler as captureForm } from '../../functions/capture-form.js';
import { handler as getProspect } from '../../functions/get-prospect.js';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { basicAuth, invoke, jsonRequest } from '../support/http.js';
import { useTestTable } from '../support/table.js';

const lines: string[] = [];
const capture = (stream: NodeJS.WriteStream) =>
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });

beforeAll(async () => {
  await useTestTable();
  capture(process.stdout);
  capture(process.stderr);
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('logs', () => {
  it('hold ids and counts but never an email address, name or phone number', async () => {
    const person = {
      email: 'Private.Person@Secret.example',
      first_name: 'Privatus',
      last_name: 'Personsson',
      phone: '+44 20 7946 0958',
    };
    await invoke(captureForm, {
      ...jsonRequest('POST', '/v1/forms/demo-request', person),
      pathParameters: { formId: 'demo-request' },
    });
    await invoke(captureForm, {
      ...jsonRequest('POST', '/v1/forms/demo-request', { ...person, email: 'broken@' }),
      pathParameters: { formId: 'demo-request' },
    });
    await invoke(
      captureEvents,
      jsonRequest(
        'POST',
        '/v1/batch',
        {
          batch: [
            {
              type: 'identify',
              userId: 'private-user',
              traits: { email: person.email, name: 'Privatus Personsson', phone: person.phone },
            },
            { type: 'track' },
          ],
        },
        { authorization: basicAuth('demo-write-key') },
      ),
    );
    await invoke(getProspect, {
      method: 'GET',
      url: `/v1/prospects?email=${encodeURIComponent(person.email)}`,
      headers: { authorization: `Bearer ${signLocalToken(['prospects:read'])}` },
    });
    const logs = lines.join('');
    expect(logs).toContain('form captured');
    expect(logs).toContain('events captured');
    for (const secret of [
      'Private.Person',
      'private.person',
      'Secret.example',
      'Privatus',
      'Personsson',
      '7946',
      'broken@',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
