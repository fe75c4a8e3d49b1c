import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { sqsClientFrom } from '../../functions/commons/adapters/sqs-queue';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import { storesFrom } from '../../functions/commons/composition';
import { TEST_SUBSCRIPTION_ID } from '../../drivers/xsi';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

export const ADMIN_TOKEN = 'test-admin-token';
export const WEBHOOK_KEY = 'test-webhook-key';

export interface TestStack extends LocalStack {
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  webhookUrl(projectId: string, secret?: string): string;
  postWebhook(projectId: string, xml: string, secret?: string): Promise<{ status: number; body: any }>;
  queueDepth(): Promise<{ visible: number; inFlight: number; delayed: number; dead: number }>;
  /** Creates a project key through the API (platform token); answers its id and secret. */
  createKey(projectId: string, scope: 'admin' | 'call', name?: string): Promise<{ keyId: string; key: string }>;
  /** Records a subscription id as this product's, for events posted without the PBX simulator. */
  registerSubscription(projectId: string, subscriptionId?: string, employeeId?: string): Promise<void>;
}

/** The local stack on free ports with in-memory data in the run's shared DynamoDB Local. */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const stack = await startLocalStack({
    port: 0,
    simPort: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `t-${randomUUID()}`,
    settleSeconds: 1,
    eventFeedLagSeconds: 1,
    visibilityTimeoutSeconds: 2,
    // Retries in a fraction of a second (×4 each), and a receiver that hangs is given up on quickly.
    deliveryRetryBaseSeconds: 0.3,
    deliveryTimeoutSeconds: 2,
    adminToken: ADMIN_TOKEN,
    webhookKey: WEBHOOK_KEY,
    logLevel: 'SILENT',
    ...options,
  });
  const sqs = sqsClientFrom(stack.env);
  const count = async (queueUrl: string) => {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  };
  const testStack: TestStack = {
    ...stack,
    async api(method, path, body, token = ADMIN_TOKEN) {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    webhookUrl(projectId, secret = webhookSecret(WEBHOOK_KEY, projectId)) {
      return `${stack.apiUrl}/webhooks/beeline/${projectId}/${secret}`;
    },
    async postWebhook(projectId, xml, secret) {
      const response = await fetch(testStack.webhookUrl(projectId, secret), {
        method: 'POST',
        headers: { 'content-type': 'application/xml; charset=UTF-8' },
        body: xml,
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async createKey(projectId, scope, name) {
      const { status, body } = await testStack.api('POST', `/projects/${projectId}/keys`, { scope, ...(name === undefined ? {} : { name }) });
      if (status !== 201) throw new Error(`creating a ${scope} key for ${projectId}: ${status} ${JSON.stringify(body)}`);
      return body;
    },
    async registerSubscription(projectId, subscriptionId = TEST_SUBSCRIPTION_ID, employeeId = 'test-employee') {
      await storesFrom(stack.env).pbx.putSubscriptionRecord({ subscriptionId, projectId, employeeId, number: '9001234567' });
    },
    async queueDepth() {
      const [live, work, dead] = await Promise.all([count(stack.queueUrl), count(stack.workQueueUrl), count(stack.deadLetterQueueUrl)]);
      return {
        visible: live.visible + work.visible,
        inFlight: live.inFlight + work.inFlight,
        delayed: live.delayed + work.delayed,
        dead: dead.visible + dead.inFlight,
      };
    },
  };
  return testStack;
}

/** Polls until `probe` returns a value other than undefined, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T | undefined>, { timeoutMs = 15_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
