import { UsageError } from '../errors.ts';

/** One Deployment: a set of worker groups served by identical pods. */
export interface DeploymentValues {
  name: string;
  workerGroups: string[];
  replicas?: number;
  concurrency?: number;
  plugins?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** KEDA autoscaling on the busy ratio (1 - empty-poll ratio). Absent: fixed replicas. */
  autoscaling?: { minReplicas: number; maxReplicas: number; targetBusyRatio?: number };
}

/** Values of the Kubernetes manifests, like a Helm chart's values.yaml. */
export interface ManifestValues {
  name: string;
  namespace?: string;
  image: string;
  imagePullPolicy: string;
  /** Seconds running tasks get after SIGTERM (the runner's --shutdown-timeout). */
  shutdownTimeoutSeconds: number;
  httpPort: number;
  region: string;
  endpoint?: string;
  /** Secret holding the Redis URL (key `url` by default). */
  redisSecret?: { name: string; key?: string };
  /**
   * Secret holding the ops server's bearer token (key `token` by default) → TASKLANE_HTTP_TOKEN. With it
   * the preStop hook drains through `POST /drain`; without it mutating endpoints are off and SIGTERM drains.
   */
  httpTokenSecret?: { name: string; key?: string };
  /**
   * A NetworkPolicy admitting traffic to the ops port only from these peers (the Prometheus pods by
   * default). Kubelet probes come from the node and are not subject to it on common CNIs. `false`: none.
   */
  networkPolicy: false | { from: Array<Record<string, unknown>> };
  serviceMonitor: boolean;
  /** Prometheus base URL for the KEDA trigger. */
  prometheusAddress: string;
  maxUnavailable: number;
  logFormat: 'json' | 'pretty';
  /**
   * The pods' ServiceAccount: how a pod gets AWS credentials without keys. IRSA:
   * `annotations: { eks.amazonaws.com/role-arn: arn:aws:iam::…:role/… }`; EKS Pod Identity: an
   * association of this account's name with a role (no annotation). `create: false` uses an existing one.
   */
  serviceAccount: { create: boolean; name?: string; annotations?: Record<string, string> };
  /**
   * The images run tini as PID 1, which reaps orphaned grandchildren of shell tasks. For an image
   * without an init, `true` makes the pod's pause container PID 1 instead.
   */
  shareProcessNamespace: boolean;
  deployments: DeploymentValues[];
}

export const DEFAULT_VALUES: ManifestValues = {
  name: 'tasklane',
  image: 'ghcr.io/tasklane/runner-node:0.1.0',
  imagePullPolicy: 'IfNotPresent',
  shutdownTimeoutSeconds: 60,
  httpPort: 9464,
  region: 'us-east-1',
  serviceMonitor: true,
  prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
  maxUnavailable: 1,
  logFormat: 'json',
  serviceAccount: { create: true },
  shareProcessNamespace: false,
  networkPolicy: {
    from: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ],
  },
  deployments: [
    {
      name: 'default',
      workerGroups: ['wg-1'],
      replicas: 2,
      concurrency: 2,
      autoscaling: { minReplicas: 1, maxReplicas: 10, targetBusyRatio: 0.7 },
    },
  ],
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Merges user values over the defaults and validates them; errors name the value at fault. */
export function resolveValues(input: Partial<ManifestValues>): ManifestValues {
  const values = { ...DEFAULT_VALUES, ...input };
  const bad = (key: string, message: string): never => {
    throw new UsageError('--values', `--values: ${key} ${message}`);
  };
  if (!DNS_LABEL.test(values.name) || values.name.length > 40)
    bad('name', `must be a DNS label of at most 40 characters, got ${JSON.stringify(values.name)}`);
  if (!Number.isInteger(values.shutdownTimeoutSeconds) || values.shutdownTimeoutSeconds < 0)
    bad('shutdownTimeoutSeconds', 'must be an integer >= 0');
  if (!Number.isInteger(values.httpPort) || values.httpPort < 1 || values.httpPort > 65535)
    bad('httpPort', 'must be a port 1-65535');
  if (values.networkPolicy !== false && !Array.isArray(values.networkPolicy?.from))
    bad('networkPolicy', 'must be false or { from: [peers] } (NetworkPolicyPeer objects)');
  const sa = values.serviceAccount;
  if (typeof sa !== 'object' || sa === null || typeof sa.create !== 'boolean')
    bad('serviceAccount', 'must be { create: true|false, name?, annotations? }');
  if (sa.name !== undefined && !DNS_LABEL.test(sa.name))
    bad('serviceAccount.name', `must be a DNS label, got ${JSON.stringify(sa.name)}`);
  if (!sa.create && !sa.name) bad('serviceAccount.name', 'is needed with create: false');
  if (typeof values.shareProcessNamespace !== 'boolean')
    bad('shareProcessNamespace', 'must be true or false');
  if (!Array.isArray(values.deployments) || values.deployments.length === 0)
    bad('deployments', 'must list at least one deployment');
  const names = new Set<string>();
  values.deployments.forEach((d, i) => {
    const at = `deployments[${i}]`;
    if (!DNS_LABEL.test(d.name ?? ''))
      bad(`${at}.name`, `must be a DNS label, got ${JSON.stringify(d.name)}`);
    if (names.has(d.name)) bad(`${at}.name`, `"${d.name}" is used twice`);
    names.add(d.name);
    if (!Array.isArray(d.workerGroups) || d.workerGroups.length === 0)
      bad(`${at}.workerGroups`, 'must name at least one worker group');
    if (
      d.autoscaling &&
      !(d.autoscaling.minReplicas >= 0 && d.autoscaling.maxReplicas >= Math.max(1, d.autoscaling.minReplicas))
    ) {
      bad(`${at}.autoscaling`, 'needs 0 <= minReplicas <= maxReplicas and maxReplicas >= 1');
    }
  });
  return values;
}

/**
 * Pods must outlive a full drain: the shutdown timeout for running tasks, plus the longest poll that may
 * be in flight (90 s), plus the abort grace (10 s) and a margin for SetTaskStatus.
 */
export function terminationGracePeriodSeconds(
  values: Pick<ManifestValues, 'shutdownTimeoutSeconds'>,
): number {
  return values.shutdownTimeoutSeconds + 90 + 10 + 5;
}
