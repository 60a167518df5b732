/**
 * The demo's pipeline, in the aws-cli definition format: a dependency chain of shell activities, a
 * precondition, and a step that fails its first attempt and succeeds on retry.
 */
export function demoDefinition(
  workDir: string,
  workerGroup: string,
): { objects: Array<Record<string, unknown>> } {
  const q = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
  const raw = q(`${workDir}/raw.csv`);
  const upper = q(`${workDir}/upper.csv`);
  return {
    objects: [
      {
        id: 'Default',
        name: 'Default',
        scheduleType: 'ondemand',
        workerGroup,
        failureAndRerunMode: 'CASCADE',
        maximumRetries: '0',
        retryDelay: '2 minutes',
      },
      {
        id: 'Extract',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        command: `echo "extracting"; sleep 1; printf 'id,name\\n1,ada\\n2,grace\\n3,linus\\n' > ${raw}`,
      },
      {
        id: 'RawFileReady',
        type: 'ShellCommandPrecondition',
        parent: { ref: 'Default' },
        command: `test -s ${raw}`,
      },
      {
        id: 'Transform',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Extract' },
        precondition: { ref: 'RawFileReady' },
        command: `sleep 1; tr 'a-z' 'A-Z' < ${raw} > ${upper}`,
      },
      {
        id: 'FlakyUpload',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        dependsOn: { ref: 'Extract' },
        maximumRetries: '2',
        command:
          'case "$TASKLANE_ATTEMPT_ID" in *Attempt=1) echo "upload endpoint busy, failing this attempt" >&2; exit 3;; esac; sleep 1; echo uploaded',
      },
      {
        id: 'Report',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        dependsOn: [{ ref: 'Transform' }, { ref: 'FlakyUpload' }],
        command: `echo "rows: $(($(wc -l < ${upper}) - 1))"; cat ${upper}`,
        scriptArgument: ['unused arg with spaces'],
      },
    ],
  };
}
