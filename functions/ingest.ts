/** POST /webhooks/beeline/{projectId}/{secret}: the PBX's XML event → the events queue. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoCaptureSink } from './commons/adapters/dynamo/capture-store';
import { documentClientFrom } from './commons/adapters/dynamo/document-client';
import { DynamoPbxStore } from './commons/adapters/dynamo/pbx-store';
import { SqsMessageQueue, sqsClientFrom } from './commons/adapters/sqs-queue';
import { secretFromEnvironment } from './commons/adapters/secrets';
import { captureCheckMsFrom, captureRecorder } from './commons/app/capture-recorder';
import { lazyHandler, required, type Environment } from './commons/environment';
import { bodyBytes, bodyText, error, json } from './commons/http/responses';
import { createMetrics } from './commons/adapters/metrics';
import { FUNCTIONS } from './commons/contracts/functions';
import { QUEUE_LANES } from './commons/contracts/queues';
import { acceptWebhook, cachedWebhookSecrets } from './commons/app/webhook-intake';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.ingest.serviceName }) } = {}) {
  const queue = new SqsMessageQueue(sqsClientFrom(env), { live: required(env, QUEUE_LANES.live.envVar) });
  const db = documentClientFrom(env);
  const pbxStore = new DynamoPbxStore(db, required(env, 'TABLE_NAME'));
  const webhookKey = secretFromEnvironment('WEBHOOK_KEY', env);
  const secrets = cachedWebhookSecrets((projectId) => pbxStore.getWebhookSecret(projectId));
  const capture = captureRecorder(new DynamoCaptureSink(db, required(env, 'TABLE_NAME')), {
    checkMs: captureCheckMsFrom(env),
    onError: (error) => logger.warn('webhook not captured', { error: error as Error }),
  });
  const metrics = createMetrics('ingest', env);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const answer = await accept(event);
      metrics.count(answer.statusCode === 200 ? 'webhookAccepted' : 'webhookRejected');
      return answer;
    } catch (caught) {
      // Not queued, so not accepted: a 5xx tells the sender the event is not ours yet.
      logger.error('webhook not queued', { projectId: event.pathParameters?.projectId, error: caught as Error });
      metrics.count('webhookNotQueued');
      return error(503, 'the event could not be queued; send it again');
    } finally {
      metrics.publish();
    }
  };

  async function accept(event: APIGatewayProxyEventV2) {
    const answer = await acceptWebhook(
      {
        projectId: event.pathParameters?.projectId,
        secret: event.pathParameters?.secret,
        bodyBytes: bodyBytes(event),
        body: () => bodyText(event),
      },
      {
        webhookKey: await webhookKey(),
        secrets,
        queue,
        now: Date.now(),
        capture: (projectId, body, secret) => capture.webhook(projectId, body, event.headers?.['content-type'], [secret]),
      },
    );
    return answer.status === 200 ? json(200, { ok: true }) : error(answer.status, answer.error);
  }
}

export const handler = lazyHandler(() => createHandler());
