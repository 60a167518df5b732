/**
 * How clients reach a running emulator: SDK client options for in-process tests, and the standard
 * AWS environment variables for spawned runners and handlers, which then need no special code.
 */
import type { Emulator } from './types.ts';

/** Credentials the emulator accepts (any SigV4 signature is accepted). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDTASKLANE', secretAccessKey: 'tasklane' } as const;

export interface EmulatorClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** For S3Client: bucket in the path, so no DNS name per bucket is needed. */
  forcePathStyle: true;
}

/** Options for `new S3Client(…)` (or DataPipelineClient, which ignores `forcePathStyle`). */
export function emulatorClientConfig(emu: Pick<Emulator, 'endpoint'>): EmulatorClientConfig {
  return {
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { ...EMULATOR_CREDENTIALS },
    forcePathStyle: true,
  };
}

/**
 * Environment for a child process: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DATA_PIPELINE`, `AWS_ENDPOINT_URL_SFN` and
 * `TASKLANE_S3_ENDPOINT` point at the emulator, plus a region and dummy credentials. Path-style addressing follows from the endpoint
 * being an IP address.
 */
export function emulatorEnv(emu: Pick<Emulator, 'endpoint'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: emu.endpoint,
    AWS_ENDPOINT_URL_DATA_PIPELINE: emu.endpoint,
    AWS_ENDPOINT_URL_SFN: emu.endpoint,
    // The shell plugin's own S3 endpoint variable, for versions that predate AWS_ENDPOINT_URL_S3.
    TASKLANE_S3_ENDPOINT: emu.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
}
