/**
 * `POST /projects/{projectId}/beeline/call`: `beeline_call(client_phone, user)` from bots
 * (product spec §6). Behind the platform API's bearer token (401 only for bad auth); every
 * other answer is HTTP 200 in the call contract of functions/commons/click-to-call.ts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { secretFromEnvironment } from './commons/adapters/secrets';
import { clickToCallFrom, type CallAnswer, type CallAttempt } from './commons/click-to-call';
import { lazyHandler, type Environment } from './commons/environment';
import { createMetrics, METRIC } from './commons/metrics';
import { bearerAuthorized } from './commons/http/auth';
import { bodyText, error, json } from './commons/http/responses';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: 'beeline-callback' }) } = {}) {
  const adminToken = secretFromEnvironment('ADMIN_TOKEN', env);
  const metrics = createMetrics('beeline-callback');
  const startCall = clickToCallFrom(env, (attempt) => {
    logAttempt(logger, attempt);
    metrics.count(attempt.outcome === 'started' ? METRIC.callStarted : METRIC.callStartFailed);
  });

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      if (!(await bearerAuthorized(event, adminToken))) return error(401, 'unauthorized');
      const projectId = event.pathParameters?.projectId ?? '';
      return json(200, await startCall(projectId, bodyText(event)));
    } catch (caught) {
      // Only reading the admin token can get here; the answer stays in the contract.
      logger.error('beeline call failed', { error: caught as Error });
      return json(200, { status: '0', error: 'the call could not be started because of an internal error; try again' } satisfies CallAnswer);
    } finally {
      metrics.publish();
    }
  };
}

/** One line per attempt; the PBX token never reaches this function's logs. */
function logAttempt(logger: Logger, { error: cause, ...attempt }: CallAttempt): void {
  if (cause !== undefined) logger.error('beeline call', { ...attempt, error: cause as Error });
  else if (attempt.outcome === 'started' || attempt.failure === 'invalid-request' || attempt.failure === 'not-connected') logger.info('beeline call', { ...attempt });
  else logger.warn('beeline call', { ...attempt });
}

export const handler = lazyHandler(() => createHandler());
