import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_MISSED_CALL_RETURN_MINUTES, type ProjectSettings } from '../../domain/clients';
import type { ProjectStore } from '../../ports';
import { projectKey } from './keys';

export class DynamoProjectStore implements ProjectStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(projectId: string): Promise<ProjectSettings | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: projectKey(projectId) }));
    if (!Item) return undefined;
    return { projectId, name: Item.name, timezone: Item.timezone, messengers: Item.messengers ?? [], missedCallReturnMinutes: Item.missedCallReturnMinutes ?? DEFAULT_MISSED_CALL_RETURN_MINUTES };
  }

  async put(project: ProjectSettings, now: Date): Promise<ProjectSettings> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...projectKey(project.projectId), ...project, updatedAt: now.toISOString() },
      }),
    );
    return project;
  }
}
