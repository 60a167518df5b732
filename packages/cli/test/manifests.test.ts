/**
 * No cluster runs here, so the rendered manifests are validated against the Kubernetes, KEDA and
 * prometheus-operator schemas shipped by kubernetes-models (a kubeconform equivalent from npm).
 */
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main, renderManifests, resolveValues, terminationGracePeriodSeconds, toYaml } from '../src/index.ts';
import { captureHost } from './host.ts';

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Deployment,
  PodDisruptionBudget,
  NetworkPolicy,
  Service,
  ServiceAccount,
  ScaledObject,
  ServiceMonitor,
};

function validateAll(yamlText: string): Array<Record<string, any>> {
  const docs = parseAllDocuments(yamlText).map((d) => d.toJSON() as Record<string, any>);
  for (const doc of docs) {
    const Model = MODELS[doc.kind];
    expect(Model, `no schema for ${doc.kind}`).toBeDefined();
    new Model!(doc).validate();
  }
  return docs;
}

const exampleValues = fileURLToPath(
  new URL('../../../apps/runner-node/deploy/values.example.yaml', import.meta.url),
);
const exampleRendered = fileURLToPath(
  new URL('../../../apps/runner-node/deploy/manifests.example.yaml', import.meta.url),
);

describe('tasklane manifests', () => {
  it('should render schema-valid manifests for the defaults', () => {
    const docs = validateAll(toYaml(renderManifests(resolveValues({}))));
    expect(docs.map((d) => d.kind)).toEqual([
      'ServiceAccount',
      'Deployment',
      'PodDisruptionBudget',
      'ScaledObject',
      'NetworkPolicy',
      'Service',
      'ServiceMonitor',
    ]);
  });

  it('should bind the ops server explicitly and admit only the scrapers to it', () => {
    const docs = validateAll(toYaml(renderManifests(resolveValues({}))));
    const c = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'TASKLANE_HTTP_HOST', value: '0.0.0.0' });
    // Without a token secret the drain endpoint is off: no preStop hook that would only be refused.
    expect(c.lifecycle).toBeUndefined();
    const policy = docs.find((d) => d.kind === 'NetworkPolicy')!;
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ]);
    expect(policy.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'tasklane',
      'app.kubernetes.io/instance': 'tasklane',
    });
    expect(renderManifests(resolveValues({ networkPolicy: false })).map((m) => m.kind)).not.toContain(
      'NetworkPolicy',
    );
  });

  it('should wire probes, preStop drain, grace period and the Redis secret', () => {
    const values = resolveValues({
      shutdownTimeoutSeconds: 120,
      redisSecret: { name: 'tasklane-redis' },
      httpTokenSecret: { name: 'tasklane-ops' },
      deployments: [{ name: 'etl', workerGroups: ['a', 'b'], concurrency: 4 }],
    });
    const deployment = validateAll(toYaml(renderManifests(values))).find((d) => d.kind === 'Deployment');
    const pod = deployment!.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(120 + 90 + 15);
    expect(terminationGracePeriodSeconds(values)).toBe(225);
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/livez');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.lifecycle.preStop.exec.command.join(' ')).toContain('/drain');
    expect(c.lifecycle.preStop.exec.command.join(' ')).toContain('Bearer');
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'TASKLANE_WORKER_GROUP', value: 'a,b' },
        { name: 'TASKLANE_CONCURRENCY', value: '4' },
        { name: 'TASKLANE_SHUTDOWN_TIMEOUT', value: '120s' },
        { name: 'TASKLANE_REDIS_URL', valueFrom: { secretKeyRef: { name: 'tasklane-redis', key: 'url' } } },
        { name: 'TASKLANE_HTTP_TOKEN', valueFrom: { secretKeyRef: { name: 'tasklane-ops', key: 'token' } } },
      ]),
    );
    expect(c.securityContext.runAsNonRoot).toBe(true);
  });

  it('should give the pods a ServiceAccount for IRSA or Pod Identity, without an API token', () => {
    const roleArn = 'arn:aws:iam::123456789012:role/tasklane-runner';
    const docs = validateAll(
      toYaml(
        renderManifests(
          resolveValues({
            namespace: 'pipelines',
            serviceAccount: { create: true, annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
          }),
        ),
      ),
    );
    const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
    expect(sa.metadata).toMatchObject({
      name: 'tasklane',
      namespace: 'pipelines',
      annotations: { 'eks.amazonaws.com/role-arn': roleArn },
    });
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    expect(pod.serviceAccountName).toBe('tasklane');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.shareProcessNamespace).toBeUndefined();
    // An existing account (e.g. one with a Pod Identity association): referenced, not created.
    const existing = renderManifests(
      resolveValues({ serviceAccount: { create: false, name: 'etl-runner' }, shareProcessNamespace: true }),
    );
    expect(existing.map((m) => m.kind)).not.toContain('ServiceAccount');
    const spec = (existing[0] as any).spec.template.spec;
    expect(spec.serviceAccountName).toBe('etl-runner');
    expect(spec.shareProcessNamespace).toBe(true);
    expect(() => resolveValues({ serviceAccount: { create: false } })).toThrow(
      /serviceAccount\.name is needed/,
    );
  });

  it('should render the committed example exactly (keep it in sync with `tasklane manifests`)', async () => {
    const host = captureHost();
    expect(await main(['manifests', '--values', exampleValues], host)).toBe(0);
    validateAll(host.out);
    expect(host.out).toBe(readFileSync(exampleRendered, 'utf8'));
  });

  it('should reject bad values naming them (exit 2)', async () => {
    const host = captureHost();
    expect(() => resolveValues({ deployments: [{ name: 'Bad_Name', workerGroups: ['x'] }] })).toThrow(
      /deployments\[0\]\.name must be a DNS label/,
    );
    expect(() => resolveValues({ deployments: [] })).toThrow(/deployments must list/);
    expect(await main(['manifests', '--values', '/nonexistent.yaml'], host)).toBe(2);
  });
});
