import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** One DynamoDB Local (in memory) for the whole run; each test file uses tables of its own. */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal({ dataDir: ':memory:' });
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
