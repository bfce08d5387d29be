/**
 * The Business-Rule-like outbound call through a real HTTP receiver: body shape, the signature over the
 * raw bytes (default and configured header/algorithm), API and admin writes both firing, retries after
 * failures with identical bytes, and the drop switch.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from './index.ts';
import { seedSysId } from './store.ts';
import { call, result } from './test-helpers.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let sim: ServiceNowSimulator;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
/** Statuses the receiver answers with, in order; 204 once they run out. */
const answers: number[] = [];
const SECRET = 'br-shared-secret';
const T0 = Date.parse('2026-03-01T10:00:00Z');

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = answers.shift() ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/integrations/servicenow/webhook`;
  sim = await startServiceNowSimulator({ now: () => T0, outbound: { url: receiverUrl, secret: SECRET, retryDelaysMs: [20, 20] } });
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(() => {
  sim.admin.reset();
  received.length = 0;
  answers.length = 0;
});

const hex = (body: string, algorithm = 'sha256') => createHmac(algorithm, SECRET).update(body).digest('hex');

describe('outbound Business-Rule call', () => {
  it('an API insert posts the record, signed X-ServiceNow-Signature = hex HMAC-SHA256 of the raw body', async () => {
    const created = result(
      await call(`${sim.url}/api/now/table/incident?sysparm_input_display_value=true`, {
        auth: sim.credentials.basicAuthHeader,
        body: { short_description: 'Log4Shell', impact: '1', urgency: '1', correlation_id: 'finding-9', assignment_group: 'Security Operations', work_notes: 'opened by the integration' },
      }),
    );
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['x-servicenow-signature']).toBe(hex(delivery!.body));
    const body = JSON.parse(delivery!.body) as Record<string, unknown>;
    expect(body).toEqual({
      event: 'insert',
      table: 'incident',
      sys_id: created.sys_id,
      number: 'INC0010001',
      state: '1',
      state_label: 'New',
      priority: '1',
      impact: '1',
      urgency: '1',
      short_description: 'Log4Shell',
      assignment_group: seedSysId('sys_user_group', 'Security Operations'),
      assignment_group_name: 'Security Operations',
      correlation_id: 'finding-9',
      correlation_display: '',
      close_code: '',
      close_notes: '',
      active: 'true',
      sys_mod_count: '0',
      sys_updated_on: '2026-03-01 10:00:00',
      sys_updated_by: 'sim.integration',
      changed_fields: expect.arrayContaining(['short_description', 'correlation_id', 'work_notes']),
      work_notes: 'opened by the integration',
      comments: '',
    });
    for (const value of Object.values(body)) if (!Array.isArray(value)) expect(typeof value).toBe('string');
  });

  it('a user resolving the incident in the UI (admin side) posts an update naming its actor and changed fields', async () => {
    const created = sim.admin.insertRecordDirectly('incident', { short_description: 'x', correlation_id: 'f-1' }, 'sim.integration');
    sim.admin.advanceClock(5000);
    sim.admin.setStateDirectly('incident', created.number!, 'Resolved', { close_code: 'Solved (Permanently)', close_notes: 'done' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(2);
    const update = JSON.parse(received[1]!.body) as Record<string, unknown>;
    expect(update).toMatchObject({ event: 'update', state: '6', state_label: 'Resolved', sys_updated_by: 'beth.anglin', sys_mod_count: '1', sys_updated_on: '2026-03-01 10:00:05', correlation_id: 'f-1' });
    expect(update.changed_fields).toEqual(expect.arrayContaining(['state', 'incident_state', 'close_code', 'close_notes', 'resolved_at']));
    // Other tables are not watched by default.
    sim.admin.insertRecordDirectly('sys_user_group', { name: 'New group' }, 'admin');
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(2);
  });

  it('retries a failed delivery with the same bytes and signature, then stops after the configured retries', async () => {
    answers.push(503, 500);
    sim.admin.insertRecordDirectly('incident', { short_description: 'retry me' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(new Set(received.map((r) => r.headers['x-servicenow-signature'])).size).toBe(1);
    expect(sim.admin.deliveries().map((d) => [d.attempt, d.status])).toEqual([
      [0, 503],
      [1, 500],
      [2, 204],
    ]);

    received.length = 0;
    answers.push(500, 500, 500, 500);
    sim.admin.insertRecordDirectly('incident', { short_description: 'gives up' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(3);
  });

  it('the drop switch records deliveries without sending them', async () => {
    sim.admin.setDropDeliveries(true);
    sim.admin.insertRecordDirectly('incident', { short_description: 'lost' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(0);
    expect(sim.admin.deliveries()).toEqual([expect.objectContaining({ dropped: true, status: null })]);
    sim.admin.setDropDeliveries(false);
    sim.admin.insertRecordDirectly('incident', { short_description: 'sent' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(1);
  });

  it('header name, algorithm, tables and events are configurable', async () => {
    sim.admin.configureOutbound({ url: receiverUrl, secret: SECRET, headerName: 'X-Signature-SHA512', algorithm: 'sha512', tables: ['sn_vul_vulnerable_item'], events: ['update'] });
    const item = sim.admin.insertRecordDirectly('sn_vul_vulnerable_item', { short_description: 'vit' });
    sim.admin.insertRecordDirectly('incident', { short_description: 'not watched' });
    sim.admin.updateRecordDirectly('sn_vul_vulnerable_item', item.sys_id!, { state: '2' });
    await sim.admin.waitForDeliveries();
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['x-servicenow-signature']).toBeUndefined();
    expect(received[0]!.headers['x-signature-sha512']).toBe(hex(received[0]!.body, 'sha512'));
    expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'update', table: 'sn_vul_vulnerable_item', number: 'VIT0010001', state: '2', state_label: 'Work in Progress' });
  });
});
