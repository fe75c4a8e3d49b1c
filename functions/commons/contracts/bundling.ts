/**
 * How every function is bundled (esbuild through CDK's NodejsFunction); the bench bundles with
 * the same options.
 */

/** Shims `require` for CommonJS dependencies (some AWS SDK internals) inside the ESM bundle. */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Modules left out of every bundle because no function reaches them on Lambda, each imported
 * only through a dynamic `import()` (test/infra/stack.test.ts loads every bundle with no
 * node_modules in reach): the SDK's credential providers after the environment one (Lambda puts
 * the role's credentials in the environment, which the default chain tries first; these and the
 * STS/SSO clients behind them are 125 KB of each bundle), and the event-stream codec (no
 * DynamoDB, SQS, KMS or Secrets Manager operation the functions call streams events).
 */
export const UNREACHED_MODULES = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  // The container (ECS) and instance (EC2) metadata providers of the same chain: never reached on Lambda either.
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
  '@smithy/core/event-streams',
];

/** Node.js major version of the Lambda runtime, and the bundles' target. */
export const NODE_RUNTIME_MAJOR = 22;

export const BUNDLING = {
  minify: true,
  sourceMap: true,
  // Stack traces need names and lines, not the sources: a third of the map, a faster cold start.
  sourcesContent: false,
  target: `node${NODE_RUNTIME_MAJOR}`,
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  externalModules: UNREACHED_MODULES,
} as const;

/** Source maps for stack traces. */
export const NODE_OPTIONS = '--enable-source-maps';

/** Every bundle stays at most this big. */
export const MAX_BUNDLE_KB = 400;
