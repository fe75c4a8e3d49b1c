/** The platform API (everything under /projects, and 404 for anything else). */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoCallStore } from './commons/adapters/dynamo/call-store';
import { DynamoClientStore } from './commons/adapters/dynamo/client-store';
import { DynamoProjectStore } from './commons/adapters/dynamo/project-store';
import { secretFromEnvironment } from './commons/adapters/secrets';
import { documentClientFrom, lazyHandler, required, type Environment } from './commons/environment';
import { error } from './commons/http/responses';
import { createPlatformApi } from './commons/platform-api';

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: 'beeline-api' }) } = {}) {
  const db = documentClientFrom(env);
  const table = required(env, 'TABLE_NAME');
  const api = createPlatformApi({
    adminToken: secretFromEnvironment('ADMIN_TOKEN', env),
    projects: new DynamoProjectStore(db, table),
    clients: new DynamoClientStore(db, table),
    calls: new DynamoCallStore(db, table),
  });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await api(event);
    } catch (caught) {
      // Never a stack trace or internals in the answer; the log has the details.
      const path = event.rawPath.startsWith('/projects') ? event.rawPath : '(other)'; // webhook paths carry secrets
      logger.error('request failed', { method: event.requestContext.http.method, path, error: caught as Error });
      return error(500, 'internal error');
    }
  };
}

export const handler = lazyHandler(() => createHandler());
