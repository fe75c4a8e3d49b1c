import type { App } from 'aws-cdk-lib';
import { readConfig, stackIdFor } from './config.js';
import { BeelineTelephonyStack } from './telephony-stack.js';

/**
 * Adds the telephony stack of the stage named in context (`stage`, default `dev`) to the app.
 * Shared by bin/app.ts and the infrastructure tests so both build the same thing.
 */
export function addTelephonyStack(app: App): BeelineTelephonyStack {
  const config = readConfig(app);
  return new BeelineTelephonyStack(app, stackIdFor(config.stage), { config });
}
