import { defineConfig } from 'vitest/config';

/** Two tiers: `fast` (plain TypeScript and in-memory adapters, no services started) and `stack` (DynamoDB Local, the SQS emulator, the simulator, CDK synth). */
const FAST = ['test/unit/**/*.test.ts', 'test/app/**/*.test.ts'];

const env = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_DEV: 'false',
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env,
    projects: [
      { extends: true, test: { name: 'fast', include: FAST } },
      { extends: true, test: { name: 'stack', include: ['test/**/*.test.ts'], exclude: FAST, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
