import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../functions/commons/contracts/table.js';

/**
 * The shape of a table definition (functions/commons/contracts/table.ts). Kept structural so the
 * definition module stays plain data with no AWS imports. All key attributes are strings, as in
 * `createTableInput` (the local stack's CreateTable input), so both tables agree.
 */
export interface TableDefinitionShape {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly timeToLiveAttribute?: string;
  readonly streamViewType?: keyof typeof StreamViewType;
  readonly globalSecondaryIndexes?: readonly {
    readonly indexName: string;
    readonly partitionKey: string;
    readonly sortKey?: string;
    /** Projected besides the keys. */
    readonly nonKeyAttributes: readonly string[];
  }[];
}

export interface TableFromDefinitionOptions {
  /** @default TABLE_DEFINITION */
  readonly definition?: TableDefinitionShape;
  /** @default RemovalPolicy.RETAIN: the table holds customer data. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Builds the DynamoDB table from the shared definition: on-demand billing, point-in-time
 * recovery, encryption at rest (AWS managed key), stream and TTL as defined, GSIs projecting
 * the keys and the attributes the definition names (like the local stack).
 */
export function tableFromDefinition(scope: Construct, id: string, options: TableFromDefinitionOptions = {}): Table {
  const d: TableDefinitionShape = options.definition ?? TABLE_DEFINITION;
  const table = new Table(scope, id, {
    partitionKey: { name: d.partitionKey, type: AttributeType.STRING },
    ...(d.sortKey !== undefined && { sortKey: { name: d.sortKey, type: AttributeType.STRING } }),
    ...(d.timeToLiveAttribute !== undefined && { timeToLiveAttribute: d.timeToLiveAttribute }),
    ...(d.streamViewType !== undefined && { stream: StreamViewType[d.streamViewType] }),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  for (const gsi of d.globalSecondaryIndexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: gsi.indexName,
      partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
      ...(gsi.sortKey !== undefined && { sortKey: { name: gsi.sortKey, type: AttributeType.STRING } }),
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...gsi.nonKeyAttributes],
    });
  }
  return table;
}
