import { stringify } from 'yaml';
import { terminationGracePeriodSeconds, type DeploymentValues, type ManifestValues } from './values.ts';

type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

function labels(values: ManifestValues, deployment?: DeploymentValues): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'tasklane',
    'app.kubernetes.io/instance': values.name,
    ...(deployment ? { 'app.kubernetes.io/component': deployment.name } : {}),
  };
}

function metadata(
  values: ManifestValues,
  name: string,
  deployment?: DeploymentValues,
): Record<string, unknown> {
  return {
    name,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    labels: { ...labels(values, deployment), 'app.kubernetes.io/managed-by': 'tasklane' },
  };
}

function container(values: ManifestValues, d: DeploymentValues): Record<string, unknown> {
  const env: Array<Record<string, unknown>> = [
    { name: 'TASKLANE_WORKER_GROUP', value: d.workerGroups.join(',') },
    { name: 'TASKLANE_CONCURRENCY', value: String(d.concurrency ?? 2) },
    { name: 'TASKLANE_SHUTDOWN_TIMEOUT', value: `${values.shutdownTimeoutSeconds}s` },
    { name: 'TASKLANE_HTTP_PORT', value: String(values.httpPort) },
    // The runner binds loopback by default; probes and scrapers reach the pod IP. The NetworkPolicy
    // below narrows who may connect.
    { name: 'TASKLANE_HTTP_HOST', value: '0.0.0.0' },
    { name: 'TASKLANE_LOG_FORMAT', value: values.logFormat },
    { name: 'TASKLANE_HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'AWS_REGION', value: values.region },
    { name: 'TASKLANE_WORK_DIR', value: '/work' },
  ];
  if (d.plugins?.length) env.push({ name: 'TASKLANE_PLUGIN', value: d.plugins.join(',') });
  if (values.endpoint) env.push({ name: 'TASKLANE_ENDPOINT', value: values.endpoint });
  if (values.redisSecret)
    env.push({
      name: 'TASKLANE_REDIS_URL',
      valueFrom: { secretKeyRef: { name: values.redisSecret.name, key: values.redisSecret.key ?? 'url' } },
    });
  if (values.httpTokenSecret)
    env.push({
      name: 'TASKLANE_HTTP_TOKEN',
      valueFrom: {
        secretKeyRef: { name: values.httpTokenSecret.name, key: values.httpTokenSecret.key ?? 'token' },
      },
    });
  return {
    name: 'runner',
    image: values.image,
    imagePullPolicy: values.imagePullPolicy,
    args: ['run'],
    env,
    ports: [{ name: 'http', containerPort: values.httpPort, protocol: 'TCP' }],
    // Liveness never depends on Redis or AWS; readiness does (coordinator reachable, not draining).
    livenessProbe: {
      httpGet: { path: '/livez', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 6,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 2,
    },
    startupProbe: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 2, failureThreshold: 30 },
    ...(values.httpTokenSecret
      ? {
          lifecycle: {
            // Start draining before SIGTERM arrives so readiness drops and no new poll starts.
            preStop: {
              exec: {
                command: [
                  'node',
                  '-e',
                  `fetch('http://127.0.0.1:${values.httpPort}/drain',{method:'POST',headers:{'content-type':'application/json',authorization:'Bearer '+process.env.TASKLANE_HTTP_TOKEN},body:'{}'}).catch(()=>{})`,
                ],
              },
            },
          },
        }
      : {}),
    resources: d.resources ?? { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'work', mountPath: '/work' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

/**
 * Both triggers are ratios with metricType Value, so the HPA scales proportionally:
 * desired = ceil(current × ratio / target). KEDA's default (AverageValue) would divide the fleet-wide
 * ratio by the target instead, which caps desired replicas at ceil(1 / target), 2 for 0.7.
 */
function autoscalingTriggers(
  values: ManifestValues,
  name: string,
  target: number,
): Array<Record<string, unknown>> {
  const pods = `namespace="${values.namespace ?? 'default'}",pod=~"${name}-.*"`;
  const trigger = (query: string) => ({
    type: 'prometheus',
    metricType: 'Value',
    metadata: { serverAddress: values.prometheusAddress, query, threshold: String(target) },
  });
  return [
    // Share of all slots running a task; a slot reserved for the poll in flight counts as idle.
    trigger(`sum(tasklane_slots{state="running",${pods}}) / sum(tasklane_slots{${pods}})`),
    // Share of recent polls that brought a task: catches a backlog of short tasks that never fill slots.
    trigger(`1 - avg(tasklane_empty_poll_ratio{${pods}})`),
  ];
}

/** Renders every manifest for the values (like `helm template`), in apply order. */
export function renderManifests(values: ManifestValues): Manifest[] {
  const out: Manifest[] = [];
  const serviceAccountName = values.serviceAccount.name ?? values.name;
  if (values.serviceAccount.create)
    out.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        ...metadata(values, serviceAccountName),
        ...(values.serviceAccount.annotations ? { annotations: values.serviceAccount.annotations } : {}),
      },
      // The runner never calls the Kubernetes API; IRSA and Pod Identity project their own tokens.
      automountServiceAccountToken: false,
    });
  for (const d of values.deployments) {
    const name = `${values.name}-${d.name}`;
    const selector = labels(values, d);
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(values, name, d),
      spec: {
        replicas: d.replicas ?? d.autoscaling?.minReplicas ?? 1,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: selector },
          spec: {
            terminationGracePeriodSeconds: terminationGracePeriodSeconds(values),
            serviceAccountName,
            automountServiceAccountToken: false,
            ...(values.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
            securityContext: { runAsNonRoot: true, fsGroup: 1000 },
            containers: [container(values, d)],
            volumes: [
              { name: 'work', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(values, name, d),
      spec: { maxUnavailable: values.maxUnavailable, selector: { matchLabels: selector } },
    });
    if (d.autoscaling) {
      const target = d.autoscaling.targetBusyRatio ?? 0.7;
      out.push({
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: metadata(values, name, d),
        spec: {
          scaleTargetRef: { name },
          minReplicaCount: d.autoscaling.minReplicas,
          maxReplicaCount: d.autoscaling.maxReplicas,
          // Drains take up to terminationGracePeriodSeconds; scaling down faster only churns pods.
          advanced: {
            horizontalPodAutoscalerConfig: {
              behavior: {
                scaleDown: { stabilizationWindowSeconds: terminationGracePeriodSeconds(values) * 2 },
              },
            },
          },
          triggers: autoscalingTriggers(values, name, target),
        },
      });
    }
  }
  if (values.networkPolicy !== false) {
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(values, `${values.name}-ops`),
      spec: {
        podSelector: { matchLabels: labels(values) },
        policyTypes: ['Ingress'],
        // Only the scrapers reach the ops port; nothing else may connect to a runner at all.
        ingress: [{ from: values.networkPolicy.from, ports: [{ port: 'http', protocol: 'TCP' }] }],
      },
    });
  }
  out.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(values, `${values.name}-metrics`),
    spec: {
      selector: labels(values),
      ports: [{ name: 'http', port: values.httpPort, targetPort: 'http' }],
      clusterIP: 'None',
    },
  });
  if (values.serviceMonitor) {
    out.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: metadata(values, values.name),
      spec: {
        selector: { matchLabels: labels(values) },
        endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
      },
    });
  }
  return out;
}

/** Multi-document YAML, the way kubectl and kustomize take it. */
export function toYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
