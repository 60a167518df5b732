import { ListActivitiesCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UnknownActivityError } from './errors.ts';

/** An activity a group stands for, and the handler type its tasks run under. */
export interface ResolvedActivity {
  readonly arn: string;
  readonly handlerType: string;
}

/** The activity name of an ARN (`arn:aws:states:<region>:<account>:activity:<name>`). */
export function activityName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * Resolves `--activity` values: an ARN is used as is, a name is looked up with ListActivities (all pages).
 * The handler type is the one given, else the activity's name.
 */
export async function resolveActivity(
  client: SFNClient,
  arnOrName: string,
  handlerType?: string,
): Promise<ResolvedActivity> {
  if (arnOrName.startsWith('arn:'))
    return { arn: arnOrName, handlerType: handlerType ?? activityName(arnOrName) };
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListActivitiesCommand(nextToken ? { nextToken } : {}));
    const found = page.activities?.find((a) => a.name === arnOrName);
    if (found?.activityArn) return { arn: found.activityArn, handlerType: handlerType ?? arnOrName };
    nextToken = page.nextToken;
  } while (nextToken);
  throw new UnknownActivityError(
    `no Step Functions activity is named "${arnOrName}" (ListActivities); create it or pass its ARN`,
  );
}
