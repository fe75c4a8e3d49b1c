import type { App } from 'aws-cdk-lib';
import { readConfig, stackIdFor } from './config.js';
import { addSecurityChecks } from './nag.js';
import { BeelineTelephonyStack } from './telephony-stack.js';

/**
 * Adds the telephony stack of the stage named in context (`stage`, default `dev`) to the app, and
 * the cdk-nag AwsSolutions checks, which run on every synth (`cdk synth`, `cdk deploy`, and each
 * `Template.fromStack` in the tests): an unacknowledged error fails the synth.
 * Shared by bin/app.ts and the infrastructure tests so both build the same thing.
 */
export function addTelephonyStack(app: App): BeelineTelephonyStack {
  const config = readConfig(app);
  const stack = new BeelineTelephonyStack(app, stackIdFor(config.stage), { config });
  addSecurityChecks(app);
  return stack;
}
