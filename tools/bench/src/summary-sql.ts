import { readFileSync } from 'node:fs';
import { round } from './stats.ts';

type Any = any;

/**
 * The "SQL copies" section, from docs/bench/sql.json: the last full run (1,000,000 rows), written by the
 * sql section or `node tools/bench/dist/sql-bench.js`, so a bench run of other sections keeps it.
 */
export function sqlSummary(file: URL): string[] {
  let s: Any;
  try {
    s = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  if (!s?.pgToS3 || !s?.s3ToPg) return [];
  const best = (xs: number[]) => Math.min(...xs);
  const row = (name: string, d: Any) =>
    `| ${name} | ${round(best(d.runnerSeconds), 2)} | ${round(best(d.psqlSeconds), 2)} | ${d.throughputRatio} | ${d.throughputRatioSameS3} | ${d.runnerRssGrowthMb} |`;
  const load = s.machine?.loadAverage;
  const ok = (d: Any) => (d.throughputRatio >= 0.8 ? 'met' : '**not met**');
  return [
    `## SQL copies (CopyActivity, ${s.pgToS3.rows.toLocaleString('en')} rows, ${Math.round(s.pgToS3.bytes / 1e6)} MB of CSV)`,
    '',
    `The runner process and the emulator's S3 (its own process) against \`psql \\copy\` of the same rows to a local file, in the same run, best of 3 rounds each; finished ${s.finishedAt}${load ? `, load average ${load.before?.[0]} → ${load.after?.[0]}` : ''}.`,
    '',
    '| copy | runner (s) | psql (s) | ratio | vs psql through the same S3 | runner RSS growth (MB) |',
    '|---|---|---|---|---|---|',
    row('PostgreSQL → S3', s.pgToS3),
    row('S3 → PostgreSQL', s.s3ToPg),
    '',
    `Targets: throughput ≥ 0.8 of \`psql \\copy\` (PostgreSQL → S3 ${s.pgToS3.throughputRatio}: ${ok(s.pgToS3)}; S3 → PostgreSQL ${s.s3ToPg.throughputRatio}: ${ok(s.s3ToPg)}), RSS growth < 50 MB (${Math.max(s.pgToS3.runnerRssGrowthMb, s.s3ToPg.runnerRssGrowthMb) < 50 ? 'met' : '**not met**'}).`,
    '',
  ];
}
