/**
 * What the ingest stores as a delivery's payload: the body's bytes exactly as signed (not a
 * re-serialization), so numbers keep their digits and whitespace stays, a byte order mark stays
 * (the processing skips it), a JSON null body stores no payload, and text the processing could not
 * store (NUL, lone surrogates) is answered 400 before anything is stored. A group written together keeps every
 * payload apart, whatever its quotes, backslashes and characters. On both databases.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDelivery } from '../../src/services/webhooks/process.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { type EndpointJson, endpoints, hmacHex, type ListeningService, startListening } from './helpers.ts';

describe.each(databaseKinds())('webhook payloads as stored, on %s', (kind: DatabaseKind) => {
  let listening: ListeningService;
  let jira: EndpointJson;

  beforeAll(async () => {
    listening = await startListening(kind);
    jira = (await endpoints(listening)).jira;
  });
  afterAll(async () => {
    await listening?.close();
  });

  const send = async (body: string | Buffer, id: string) => {
    const response = await fetch(`${listening.url}/api/integrations/jira/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature': `sha256=${hmacHex(jira.secret!, body)}`, 'x-atlassian-webhook-identifier': id },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const stored = async (id: string) =>
    (
      await listening.service.context.db.query<{ payload: Uint8Array | null }>(
        'select payload from deliveries where endpoint_id = $1::uuid and delivery_id = $2 and signature_valid',
        [jira.id, id],
      )
    ).map((row) => {
      const text = row.payload === null ? null : Buffer.from(row.payload).toString('utf8');
      return { text, payload: text === null ? null : (JSON.parse(text.replace(/^\ufeff/, '')) as unknown) };
    });

  it('stores the bytes as signed: digits, spacing and a byte order mark kept, a null body without payload', async () => {
    const digits = '123456789012345678901234567890.000001';
    const plain = `{ "webhookEvent" : "jira:issue_updated",\n  "big": ${digits}, "word": "\\u00fc" }`;
    const plainId = randomUUID();
    expect((await send(plain, plainId)).status).toBe(202);
    expect((await stored(plainId))[0]?.text).toBe(plain);

    // A byte order mark is kept with the bytes it was signed with, and skipped by the processing.
    const bomId = randomUUID();
    const withBom = await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"webhookEvent":"jira:issue_created","n":1}')]), bomId);
    expect(withBom.status).toBe(202);
    expect((await stored(bomId))[0]?.text).toBe('\ufeff{"webhookEvent":"jira:issue_created","n":1}');
    const orgId = await listening.service.context.tenants.orgId('demo-org');
    expect((await claimDelivery(listening.service.context, orgId, withBom.json.id as string))?.payload).toEqual({ webhookEvent: 'jira:issue_created', n: 1 });

    const nullId = randomUUID();
    expect((await send('null', nullId)).status).toBe(202);
    const [row] = await stored(nullId);
    expect(row).toBeDefined();
    expect(row?.payload).toBeNull();
  });

  it('answers 400 and stores nothing for text PostgreSQL would refuse, however it is escaped', async () => {
    for (const body of ['{"a":"\\u0000"}', '{"a":{"b":"x\\ud800y"}}', '{"a":1e999}', '{"k\\u0000":1}']) {
      const id = randomUUID();
      const answer = await send(body, id);
      expect(answer.status, body).toBe(400);
      expect((answer.json.error as { code: string }).code).toBe('VALIDATION_FAILED');
      expect(await stored(id)).toEqual([]);
    }
  });

  it('answers 415 and stores nothing for a body that is not sent as JSON, even when its signature is right', async () => {
    for (const [contentType, body] of [
      ['text/plain', ''],
      ['text/plain', '{"webhookEvent":"jira:issue_updated"}'],
      ['application/xml', '<webhookEvent>jira:issue_updated</webhookEvent>'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{}\r\n--x--\r\n'],
    ] as const) {
      const id = randomUUID();
      const response = await fetch(`${listening.url}/api/integrations/jira/webhook`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-hub-signature': `sha256=${hmacHex(jira.secret!, body)}`, 'x-atlassian-webhook-identifier': id },
        body,
      });
      expect(response.status, `${contentType} ${JSON.stringify(body)}`).toBe(415);
      expect(await stored(id)).toEqual([]);
    }
  });

  it('stores large deliveries that arrive together whole, across groups cut by their payload bytes', async () => {
    // 12 bodies of about 1 MB arrive at once: more than one group's byte budget (8 MiB).
    const sent = Array.from({ length: 12 }, (_, n) => ({ id: randomUUID(), body: JSON.stringify({ webhookEvent: 'jira:issue_updated', n, pad: String.fromCharCode(97 + n).repeat(1_000_000) }) }));
    const answers = await Promise.all(sent.map(({ body, id }) => send(body, id)));
    expect(answers.map((answer) => answer.status)).toEqual(sent.map(() => 202));
    for (const { body, id } of sent) {
      const [row] = await listening.service.context.db.query<{ size: number; md5: string }>(
        'select length(payload) as size, md5(payload) as md5 from deliveries where endpoint_id = $1::uuid and delivery_id = $2 and signature_valid',
        [jira.id, id],
      );
      expect(row).toEqual({ size: Buffer.byteLength(body), md5: createHash('md5').update(body).digest('hex') });
    }
  });

  it('keeps every payload of a group apart (quotes, backslashes, separators, astral characters)', async () => {
    const values = ['plain', 'a "quoted" word', 'back\\slash\\', 'comma, {brace} [bracket]', 'line\nbreak\ttab', 'sep\u2028arator', 'emoji 🦊 and ü', "'single'", ''];
    const sent = values.map((value, n) => ({ id: randomUUID(), body: JSON.stringify({ webhookEvent: 'jira:issue_updated', n, value, nested: { value: [value] } }) }));
    const answers = await Promise.all(sent.map(({ body, id }) => send(body, id)));
    expect(answers.map((answer) => answer.status)).toEqual(sent.map(() => 202));
    for (const { body, id } of sent) expect((await stored(id))[0]?.text).toBe(body);
  });
});
