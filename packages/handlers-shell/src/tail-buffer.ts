/**
 * Keeps the last `capacity` bytes written to it, in constant memory, so a failure message can quote the
 * end of stderr however much the command printed.
 */
export class TailBuffer {
  readonly #bytes: Uint8Array;
  #end = 0;
  #filled = false;
  #total = 0;

  constructor(readonly capacity: number) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Bytes written so far, kept or not. */
  get total(): number {
    return this.#total;
  }

  write(chunk: Uint8Array): void {
    this.#total += chunk.byteLength;
    const cap = this.capacity;
    if (chunk.byteLength >= cap) {
      this.#bytes.set(chunk.subarray(chunk.byteLength - cap));
      this.#end = 0;
      this.#filled = true;
      return;
    }
    const first = Math.min(chunk.byteLength, cap - this.#end);
    this.#bytes.set(chunk.subarray(0, first), this.#end);
    this.#bytes.set(chunk.subarray(first), 0);
    const end = this.#end + chunk.byteLength;
    if (end >= cap) this.#filled = true;
    this.#end = end % cap;
  }

  /** The kept bytes as text; a character cut in half at the start is dropped. */
  text(): string {
    const kept = this.#filled
      ? new Uint8Array([...this.#bytes.subarray(this.#end), ...this.#bytes.subarray(0, this.#end)])
      : this.#bytes.subarray(0, this.#end);
    let start = 0;
    // Skip UTF-8 continuation bytes (10xxxxxx) left from a character whose start fell out of the buffer.
    if (this.#filled)
      while (start < kept.length && start < 4 && ((kept[start] ?? 0) & 0xc0) === 0x80) start++;
    return new TextDecoder().decode(kept.subarray(start));
  }
}
