/** The emulator's S3 bucket the demo stages from and publishes to. */
export const DEMO_BUCKET = 'tasklane-demo';

/** The S3 input the demo seeds before activating: `Publish` stages it and uploads its result. */
export const DEMO_INPUT = { key: 'input/people.csv', body: 'id,name\n1,ada\n2,grace\n3,linus\n' } as const;

/**
 * The demo's pipeline, in the aws-cli definition format: a dependency chain of shell activities, a
 * precondition, a step that fails its first attempt and succeeds on retry, and a step that stages an
 * S3 input and publishes an S3 output (an expression names the output prefix by date).
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
      { id: 'PeopleIn', type: 'S3DataNode', directoryPath: `s3://${DEMO_BUCKET}/input/` },
      {
        id: 'PeopleOut',
        type: 'S3DataNode',
        directoryPath: `s3://${DEMO_BUCKET}/output/#{format(@scheduledStartTime,'YYYY-MM-dd')}/`,
      },
      {
        id: 'Publish',
        type: 'ShellCommandActivity',
        parent: { ref: 'Default' },
        stage: 'true',
        input: { ref: 'PeopleIn' },
        output: { ref: 'PeopleOut' },
        command:
          'tr a-z A-Z < "$INPUT1_STAGING_DIR/people.csv" > "$OUTPUT1_STAGING_DIR/people-upper.csv"; echo "publishing $(wc -l < "$OUTPUT1_STAGING_DIR/people-upper.csv") lines"',
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
