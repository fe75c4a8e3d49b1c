/** The admin console (GET /console and its files), read once per container from beside the handler. */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FUNCTIONS } from './commons/contracts/functions';
import { CONSOLE_LOOPBACK_MEDIA_ENV } from './commons/contracts/console';
import { lazyHandler, type Environment } from './commons/environment';
import { CONSOLE_FILES, createConsoleSite, type ConsoleFile } from './commons/http/console-site';
import { error } from './commons/http/responses';

/** `functions/console/` beside this file, and `console/` beside the bundle (the stack copies it there). */
const FILES_DIR = new URL(`./${FUNCTIONS.console.copiedFolder}/`, import.meta.url);

export function readConsoleFiles(dir: URL = FILES_DIR): Record<ConsoleFile, string> {
  return Object.fromEntries(Object.keys(CONSOLE_FILES).map((name) => [name, readFileSync(new URL(name, dir), 'utf8')])) as Record<ConsoleFile, string>;
}

export function createHandler(env: Environment = process.env, { logger = new Logger({ serviceName: FUNCTIONS.console.serviceName }) } = {}) {
  const site = createConsoleSite({ files: readConsoleFiles(), loopbackMedia: env[CONSOLE_LOOPBACK_MEDIA_ENV] === 'true' });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await site.route(event);
    } catch (caught) {
      logger.error('request failed', { path: event.rawPath.slice(0, 200), error: caught as Error });
      return error(500, 'internal error');
    }
  };
}

export const handler = lazyHandler(() => createHandler());
