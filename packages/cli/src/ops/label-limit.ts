import { redactText } from '../security/redact.ts';

/** The label value every activity type past the limit folds into. */
export const OTHER_LABEL = 'other';

/**
 * Bounds the values one metric label can take. The activity type comes from the task, i.e. from whoever
 * writes the pipeline definition: unbounded, 300 random types would make thousands of series. Types with a
 * registered handler always keep their own value; others get one until `limit` distinct values are in use,
 * then fold into `other`.
 */
export class LabelLimit {
  readonly #seen = new Set<string>();

  constructor(
    readonly limit: number,
    known: Iterable<string> = [],
  ) {
    for (const value of known) this.#seen.add(value);
  }

  /** The label value to record for `value`. */
  value(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.limit || value.length > 128) return OTHER_LABEL;
    const safe = redactText(value);
    this.#seen.add(safe);
    return safe;
  }
}
