/** POST /webhooks/beeline/{projectId}/{secret}: the PBX's XML event → the events queue. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SqsMessageQueue } from './commons/adapters/sqs-queue';
import { secretFromEnvironment } from './commons/adapters/secrets';
import { lazyHandler, required, sqsClientFrom, type Environment } from './commons/environment';
import { bodyBytes, bodyText, error, json } from './commons/http/responses';
import { acceptWebhook } from './commons/webhook-intake';

export function createHandler(env: Environment = process.env) {
  const queue = new SqsMessageQueue(sqsClientFrom(env), required(env, 'QUEUE_URL'));
  const webhookKey = secretFromEnvironment('WEBHOOK_KEY', env);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const answer = await acceptWebhook(
      {
        projectId: event.pathParameters?.projectId,
        secret: event.pathParameters?.secret,
        bodyBytes: bodyBytes(event),
        body: () => bodyText(event),
      },
      { webhookKey: await webhookKey(), queue, now: Date.now() },
    );
    return answer.status === 200 ? json(200, { ok: true }) : error(answer.status, answer.error);
  };
}

export const handler = lazyHandler(() => createHandler());
