import { defineConfig } from 'vitest/config';

/** Tiers: `fast` (plain TypeScript and in-memory adapters, no services started), `stack` (DynamoDB Local, the SQS emulator, the simulator, CDK synth) and `alone` (the console in Chromium on the local stack, and the webhook load: one file at a time). */
const FAST = ['test/unit/**/*.test.ts', 'test/app/**/*.test.ts'];
/**
 * Run one at a time after the rest (`npm test`): headless Chromium is heavy on two cores, and the
 * webhook load measures a drain that other files running beside it would slow past its bound.
 */
const ALONE = ['test/browser/**/*.test.ts', 'test/reliability/load.test.ts'];

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
      { extends: true, test: { name: 'stack', include: ['test/**/*.test.ts'], exclude: [...FAST, ...ALONE], globalSetup: ['test/support/global-setup.ts'] } },
      { extends: true, test: { name: 'alone', include: ALONE, fileParallelism: false, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
