import { formatOptions, type OptionSpec } from '../config/options.ts';
import { readConfigFile, resolveOptions } from '../config/resolve.ts';
import { ExitCode } from '../errors.ts';
import type { Host } from '../host.ts';
import { renderManifests, toYaml } from '../k8s/manifests.ts';
import { resolveValues, type ManifestValues } from '../k8s/values.ts';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'values',
    kind: 'string',
    env: false,
    placeholder: 'FILE',
    description: 'values file (JSON or YAML), like a Helm values.yaml',
  },
];

export const MANIFESTS_HELP = `Usage: tasklane manifests [--values FILE]

Renders Kubernetes manifests for a fleet (like "helm template"): a Deployment per worker-group set with
probes on /livez and /readyz, the ops server bound to the pod IP (TASKLANE_HTTP_HOST=0.0.0.0) behind a
NetworkPolicy that admits only the metrics scrapers, a preStop that drains through POST /drain when an ops
token Secret is given, terminationGracePeriodSeconds = shutdown timeout + 90 s poll + 15 s, a
PodDisruptionBudget, a KEDA ScaledObject on the empty-poll ratio, a metrics Service and a ServiceMonitor,
the Redis URL from a Secret. Pipe to "kubectl apply -f -".

Options:
${formatOptions(OPTIONS)}`;

export async function manifestsCommand(argv: readonly string[], host: Host): Promise<number> {
  const { values, help } = resolveOptions(OPTIONS, argv, (n) => host.runtime.env(n), { configFlag: false });
  if (help) {
    host.stdout(MANIFESTS_HELP + '\n');
    return ExitCode.Ok;
  }
  const input = values.values ? (readConfigFile(values.values as string) as Partial<ManifestValues>) : {};
  host.stdout(toYaml(renderManifests(resolveValues(input))));
  return ExitCode.Ok;
}
