import { formatOptions, type OptionSpec } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Host } from '../host.ts';
import { renderTable } from '../table.ts';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'redis-url',
    kind: 'url',
    schemes: ['redis', 'rediss', 'redis+sentinel'],
    placeholder: 'URL',
    description: 'the fleet Redis',
  },
  {
    flag: 'redis-key-prefix',
    kind: 'string',
    default: 'tl:',
    placeholder: 'PREFIX',
    description: 'coordinator key prefix',
  },
  { flag: 'json', kind: 'boolean', env: false, description: 'print JSON for machines' },
];

export const STATUS_HELP = `Usage: tasklane status --redis-url URL [--json]

Prints the fleet: worker groups with their lease holder and waiters, instances with running/polling/free
slots (a slot reserved for the poll is polling, not running), and in-flight tasks.

Options:
${formatOptions(OPTIONS)}`;

export async function statusCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(STATUS_HELP + '\n');
    return ExitCode.Ok;
  }
  const url = values['redis-url'] as string | undefined;
  if (!url) throw new UsageError('--redis-url', 'status: --redis-url is required (or TASKLANE_REDIS_URL)');
  const { readFleetStatus } = await import('@tasklane/coordinator-redis');
  const fleet = await readFleetStatus(url, { keyPrefix: values['redis-key-prefix'] as string });
  if (values.json) {
    host.stdout(JSON.stringify(fleet, null, 2) + '\n');
    return ExitCode.Ok;
  }
  const now = Date.now();
  const hostOf = new Map(fleet.instances.map((i) => [i.instanceId, i.hostname]));
  host.stdout('WORKER GROUPS\n');
  host.stdout(
    renderTable(
      ['group', 'lease holder', 'epoch', 'held', 'waiters'],
      fleet.groups.map((g) => [
        g.group,
        g.holder ? (hostOf.get(g.holder.instanceId) ?? g.holder.instanceId) : '-',
        g.holder ? String(g.holder.epoch) : '-',
        g.holder ? `${((now - g.holder.since) / 1000).toFixed(1)}s` : '-',
        String(g.waiters),
      ]),
    ),
  );
  host.stdout('\nINSTANCES\n');
  host.stdout(
    renderTable(
      // As the /fleet pages count them: the slot reserved for the poll is "polling", not busy.
      ['instance', 'host', 'runtime', 'state', 'groups', 'running', 'polling', 'free'],
      fleet.instances.map((i) => [
        i.instanceId,
        i.hostname,
        i.runtime,
        i.state,
        Object.keys(i.groups).join(','),
        String(i.running),
        String(i.polling),
        String(i.free),
      ]),
    ),
  );
  host.stdout('\nIN-FLIGHT TASKS\n');
  host.stdout(
    renderTable(
      ['attempt', 'group', 'activity', 'host', 'elapsed'],
      fleet.instances.flatMap((i) =>
        i.inFlight.map((t) => [
          t.attemptId,
          t.group,
          t.activityType,
          i.hostname,
          `${((now - t.startedAt) / 1000).toFixed(1)}s`,
        ]),
      ),
    ),
  );
  return ExitCode.Ok;
}
