#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addTelephonyStack } from '../lib/app.js';

// Environment-agnostic on purpose: nothing here needs account/region lookups, so
// `cdk synth` works offline without credentials. `cdk deploy` takes them from the profile.
const app = new App();
addTelephonyStack(app);
app.synth();
