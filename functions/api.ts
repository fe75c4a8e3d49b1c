/** The platform API (everything under /projects, and 404 for anything else). */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { secretFromEnvironment } from './commons/adapters/secrets';
import { cipherFrom } from './commons/adapters/token-cipher';
import { deliverySettingsFrom } from './commons/composition/delivery';
import { credentialsFrom, pbxClientsFrom, queueFrom, storesFrom, subscriptionServiceFrom } from './commons/composition';
import { FUNCTIONS } from './commons/contracts/functions';
import { SETTINGS } from './commons/contracts/settings';
import { lazyHandler, recordLinkTtlDaysFrom, required, settingFrom, type Environment } from './commons/environment';
import { error } from './commons/http/responses';
import { createPlatformApi } from './commons/http/platform-api';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.api.serviceName }) } = {}) {
  const stores = storesFrom(env);
  const api = createPlatformApi({
    credentials: credentialsFrom(env, stores, (error) => logger.warn('lastUsedAt not written', { error: error as Error })),
    access: stores.access,
    capture: stores.capture,
    delivery: deliverySettingsFrom(env),
    projects: stores.projects,
    clients: stores.clients,
    calls: stores.calls,
    events: { feed: stores.events, lagSeconds: settingFrom(env, SETTINGS.eventFeedLagSeconds) },
    telephony: {
      store: stores.pbx,
      calls: stores.calls,
      webhookKey: secretFromEnvironment('WEBHOOK_KEY', env),
      recordLinks: { ttlDays: recordLinkTtlDaysFrom(env), publicUrl: required(env, 'PUBLIC_URL') },
      cipher: cipherFrom(env, 'pbxTokens'),
      pbx: pbxClientsFrom(env),
      subscriptions: subscriptionServiceFrom(env, stores, (message, details) => logger.info(message, details)),
      queue: queueFrom(env, ['work']),
    },
  });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await api.route(event);
    } catch (caught) {
      // Never a stack trace or internals in the answer; the log has the details.
      logger.error('request failed', { route: api.routeKey(event), error: caught as Error });
      return error(500, 'internal error');
    }
  };
}

export const handler = lazyHandler(() => createHandler());
