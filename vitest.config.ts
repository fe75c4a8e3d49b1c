import { defineConfig } from 'vitest/config';

/** Tiers: `fast` (plain TypeScript and in-memory adapters, no services started), `stack` (DynamoDB Local, the SQS emulator, the simulator, CDK synth) and `browser` (the console in Chromium on the local stack). */
const FAST = ['test/unit/**/*.test.ts', 'test/app/**/*.test.ts'];
/** Headless Chromium is heavy on two cores: the browser tests run on their own, after the rest (`npm test`). */
const BROWSER = ['test/browser/**/*.test.ts'];

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
      { extends: true, test: { name: 'stack', include: ['test/**/*.test.ts'], exclude: [...FAST, ...BROWSER], globalSetup: ['test/support/global-setup.ts'] } },
      { extends: true, test: { name: 'browser', include: BROWSER, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
