import { CONSOLE_FILES_DIR } from './console';

/**
 * The product's functions: the key each is known by, its handler file under functions/ and its
 * Powertools service name (`POWERTOOLS_SERVICE_NAME`, the `service` key of its logs and the
 * `service` dimension of its metrics). The CDK stack, the handlers and the bench read this.
 */
export const FUNCTIONS = {
  ingest: { entryFile: 'ingest.ts', serviceName: 'beeline-ingest' },
  processor: { entryFile: 'processor.ts', serviceName: 'beeline-processor' },
  api: { entryFile: 'api.ts', serviceName: 'beeline-api' },
  subscription: { entryFile: 'subscription.ts', serviceName: 'beeline-subscription' },
  sweeper: { entryFile: 'sweeper.ts', serviceName: 'beeline-sweeper' },
  callback: { entryFile: 'callback.ts', serviceName: 'beeline-callback' },
  relay: { entryFile: 'relay.ts', serviceName: 'beeline-relay' },
  delivery: { entryFile: 'delivery.ts', serviceName: 'beeline-delivery' },
  // Its static files are copied beside the bundle.
  console: { entryFile: 'console.ts', serviceName: 'beeline-console', copiedFolder: CONSOLE_FILES_DIR },
} as const;

export type FunctionKey = keyof typeof FUNCTIONS;
export const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
export const SERVICE_NAMES = Object.fromEntries(FUNCTION_KEYS.map((key) => [key, FUNCTIONS[key].serviceName])) as { readonly [K in FunctionKey]: (typeof FUNCTIONS)[K]['serviceName'] };
