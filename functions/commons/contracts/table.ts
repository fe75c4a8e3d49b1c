/**
 * The one definition of the project's DynamoDB table. The CDK stack (lib/) and the local
 * stack / tests (local/, test/) both build the table from this, so they cannot drift.
 * Plain data only: no AWS imports.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes expired items (de-duplication markers, timers). */
  timeToLiveAttribute: 'ttl',
  /** The subscription function consumes employee changes from the stream. */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  globalSecondaryIndexes: [
    /**
     * Calls of a project, newest first: gsi1pk = `P#{projectId}#CALLS`, gsi1sk = `{startedAt ISO}#{extTrackingId}`;
     * also due renewals and connected projects, which read the keys only. It holds the keys and what
     * the call log shows (a CallLogEntry, domain/call-log.ts), never a call's whole state or a token.
     */
    {
      indexName: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      nonKeyAttributes: ['extTrackingId', 'direction', 'outcome', 'clientPhone', 'clientId', 'operatorPhone', 'startedAt', 'endedAt', 'recordLink', 'recovered'],
    },
  ],
} as const;

export type TableDefinition = typeof TABLE_DEFINITION;

/** CreateTable input (on-demand billing) for DynamoDB Local, built from the definition. */
export function createTableInput(tableName: string) {
  const d = TABLE_DEFINITION;
  const attributeNames = [d.partitionKey, d.sortKey, ...d.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...new Set(attributeNames)].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: d.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: d.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: d.globalSecondaryIndexes.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: g.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...g.nonKeyAttributes] },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: d.streamViewType },
  };
}
