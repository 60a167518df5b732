import type { Logger } from '@tasklane/core';

/**
 * Forwards a stream's output to the task logger at debug level, line by line, up to `maxLines`.
 * The cap matters: `yes | head -c 300M` is 150 million lines, and one log call per line would cost far
 * more than the command itself. Output after the cap still reaches the file destination and the tail.
 */
export class LineLogger {
  readonly #decoder = new TextDecoder();
  #partial = '';
  #lines = 0;
  #capped = false;

  constructor(
    readonly logger: Logger,
    readonly stream: 'stdout' | 'stderr',
    readonly maxLines = 1000,
    readonly maxLineLength = 4096,
  ) {}

  write(chunk: Uint8Array): void {
    if (this.#capped) return;
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.#partial = (parts.pop() ?? '').slice(0, this.maxLineLength);
    for (const line of parts) {
      if (!this.#emit(line)) return;
    }
  }

  /** Logs the unterminated last line, if any. */
  end(): void {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = '';
    if (rest !== '' && !this.#capped) this.#emit(rest);
  }

  #emit(line: string): boolean {
    if (this.#lines >= this.maxLines) {
      this.#capped = true;
      this.logger.debug(
        { stream: this.stream, maxLines: this.maxLines },
        `further ${this.stream} lines are not logged`,
      );
      return false;
    }
    this.#lines++;
    this.logger.debug({ stream: this.stream }, line.slice(0, this.maxLineLength));
    return true;
  }
}
