/** Restarting the local stack with the same DATA_DIR keeps everything: data and queued events. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack } from '../support/harness';
import { callEvents } from '../../drivers/xsi';

const dataDir = mkdtempSync(join(tmpdir(), 'beeline-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a restart with the same DATA_DIR', () => {
  it('keeps projects and clients, and processes events that were queued but not yet processed', async () => {
    const T0 = Date.UTC(2026, 10, 29, 9, 30, 5);
    const ext = randomUUID();
    // First run: no queue consumer, so the call's events are accepted but still queued at stop.
    const first = await startTestStack({ dynamoEndpoint: undefined, dataDir, tableName: 'beeline-telephony', pollerConcurrency: 0 });
    try {
      await first.api('PUT', '/projects/keep', { name: 'Kept', timezone: 'Asia/Novosibirsk' });
      await first.api('PUT', '/projects/keep/clients/anna', { channel: 'whatsapp', variables: { phone: '+79161234567' } });
      await first.registerSubscription('keep');
      for (const xml of callEvents(ext, [{ abonent: '9001234567', remote: { address: 'tel:+79161234567' }, startTime: T0, answerTime: T0 + 1000, releaseTime: T0 + 60_000 }])) {
        expect((await first.postWebhook('keep', xml)).status).toBe(200);
      }
    } finally {
      await first.stop();
    }

    const second = await startTestStack({ dynamoEndpoint: undefined, dataDir, tableName: 'beeline-telephony' });
    try {
      expect((await second.api('GET', '/projects/keep')).body).toMatchObject({ name: 'Kept', timezone: 'Asia/Novosibirsk' });
      const call = await eventually(async () => {
        const { body } = await second.api('GET', '/projects/keep/calls');
        const found = body.calls.find((c: { extTrackingId: string }) => c.extTrackingId === ext);
        return found?.outcome === 'answered' ? found : undefined;
      });
      expect(call.clientId).toBe('anna');
      const anna = (await second.api('GET', '/projects/keep/clients/anna')).body;
      expect(anna.dealVariables.beeline_start_time).toBe('29.11.2026 16:30:05');
      expect((await second.api('GET', '/projects/keep/clients/anna/messages')).body.messages).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
