import { CreateActivityCommand, CreateStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { activityName } from './resolve.ts';
import type { Migration } from './migrate.ts';

/** What {@link deployMigration} created. */
export interface Deployment {
  readonly stateMachineArn: string;
  /** Activity name → ARN. */
  readonly activities: Record<string, string>;
}

/**
 * Creates the activities a migration needs (CreateActivity is idempotent per name), points each Task's
 * Resource at the ARN the service gave, and creates the state machine.
 */
export async function deployMigration(
  client: SFNClient,
  migration: Migration,
  options: { name: string; roleArn?: string },
): Promise<Deployment> {
  const activities: Record<string, string> = {};
  for (const name of migration.activities)
    activities[name] = (await client.send(new CreateActivityCommand({ name }))).activityArn!;
  const states: Record<string, Record<string, unknown>> = {};
  for (const [id, state] of Object.entries(migration.definition.States)) {
    const resource =
      typeof state.Resource === 'string' ? activities[activityName(state.Resource)] : undefined;
    states[id] = resource === undefined ? state : { ...state, Resource: resource };
  }
  const created = await client.send(
    new CreateStateMachineCommand({
      name: options.name,
      definition: JSON.stringify({ ...migration.definition, States: states }),
      roleArn: options.roleArn ?? 'arn:aws:iam::000000000000:role/tasklane-migrated',
    }),
  );
  return { stateMachineArn: created.stateMachineArn!, activities };
}
