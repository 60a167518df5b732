import { Readable, type ReadableOptions } from 'node:stream';

/** Backend message codes met during `COPY … TO STDOUT` (PostgreSQL protocol, "COPY Operations"). */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const HEADER_BYTES = 5; // code (1) + length (4, counting itself)

/** What `pg` hands a custom submittable: its connection, whose socket we read while the COPY runs. */
interface PgConnection {
  stream: {
    pause(): void;
    resume(): void;
    listeners(event: 'data'): Array<(chunk: Buffer) => void>;
    addListener(event: 'data', listener: (chunk: Buffer) => void): void;
    removeListener(event: 'data', listener: (chunk: Buffer) => void): void;
  };
  query(text: string): void;
}

/**
 * `COPY … TO STDOUT` as a byte stream, for `client.query(new CopyOut(sql))`. It does what
 * pg-copy-streams' `to()` does (take the socket from `pg` while the COPY runs, hand it back after
 * CopyDone or at an ErrorResponse) but parses faster: PostgreSQL sends one CopyData message per row, and
 * instead of slicing each one out (an object and a copy per row, most of the runner's CPU on a million
 * rows) the payloads are compacted in place inside the socket's own chunk, so a chunk of thousands of rows
 * costs one `copyWithin` per row and one pushed Buffer. Backpressure pauses the socket, which stops the
 * server.
 */
export class CopyOut extends Readable {
  /** Rows copied, from the server's CommandComplete (`COPY n`), once the stream has ended. */
  rowCount = 0;
  #connection: PgConnection | undefined;
  #pgOnData: ((chunk: Buffer) => void) | undefined;
  /**
   * The socket stays in flowing mode, as pg keeps it, and is paused while the reader is full: a paused
   * `read()` would join every buffered socket read into a new buffer first, a copy of the whole export.
   */
  readonly #onData = (chunk: Buffer) => {
    this.#parse(chunk);
    if (!this.#wanted && !this.#finished) this.#connection!.stream.pause();
  };
  /** A message header cut by a chunk boundary, gathered here until complete. */
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFill = 0;
  #code = 0;
  /** Payload bytes of the current message not yet seen. */
  #remaining = 0;
  #wanted = true;
  #finished = false;

  constructor(
    readonly text: string,
    options?: ReadableOptions,
  ) {
    super(options);
  }

  /** Called by `pg` when the query's turn comes. */
  submit(pgConnection: object): void {
    const connection = pgConnection as PgConnection;
    this.#connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners('data');
    if (listeners.length !== 1)
      throw new Error(`expected one data listener on the socket, found ${listeners.length}`);
    this.#pgOnData = listeners[0]!;
    socket.removeListener('data', this.#pgOnData);
    socket.addListener('data', this.#onData);
    connection.query(this.text);
  }

  override _read(): void {
    this.#wanted = true;
    if (this.#connection && !this.#finished) this.#connection.stream.resume();
  }

  /** Consumes one socket chunk; CopyData payloads move to its front and are pushed as one Buffer. */
  #parse(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let out = 0;
    while (i < n) {
      // The common case, in a tight loop: whole CopyData messages (one row each) inside this chunk.
      if (this.#remaining === 0 && this.#headerFill === 0) {
        while (i + HEADER_BYTES <= n && chunk[i] === COPY_DATA) {
          const start = i + HEADER_BYTES;
          const end =
            start +
            ((chunk[i + 1]! << 24) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 8) | chunk[i + 4]!) -
            4;
          if (end > n) break;
          chunk.copyWithin(out, start, end);
          out += end - start;
          i = end;
        }
        if (i >= n) break;
      }
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i);
        if (this.#code === COPY_DATA) {
          if (out !== i) chunk.copyWithin(out, i, i + take);
          out += take;
        }
        i += take;
        this.#remaining -= take;
        continue;
      }
      if (this.#headerFill === 0 && chunk[i] === ERROR_RESPONSE) {
        // pg parses the error and reports it through handleError, with the rest of the protocol.
        this.#flush(chunk, out);
        this.#handBack(chunk.subarray(i));
        return;
      }
      let length: number;
      if (this.#headerFill === 0 && n - i >= HEADER_BYTES) {
        this.#code = chunk[i]!;
        length = chunk.readUInt32BE(i + 1);
        i += HEADER_BYTES;
      } else {
        const take = Math.min(HEADER_BYTES - this.#headerFill, n - i);
        chunk.copy(this.#header, this.#headerFill, i, i + take);
        this.#headerFill += take;
        i += take;
        if (this.#headerFill < HEADER_BYTES) break;
        this.#headerFill = 0;
        this.#code = this.#header[0]!;
        length = this.#header.readUInt32BE(1);
      }
      this.#remaining = length - 4;
      if (this.#code === COPY_DONE) {
        // CommandComplete and ReadyForQuery follow: pg's business again.
        this.#remaining = 0;
        this.#flush(chunk, out);
        this.#handBack(chunk.subarray(i));
        this.push(null);
        return;
      }
    }
    this.#flush(chunk, out);
  }

  #flush(chunk: Buffer, bytes: number): void {
    if (bytes > 0) this.#wanted = this.push(chunk.subarray(0, bytes));
  }

  #handBack(unread: Buffer): void {
    this.#finished = true;
    const socket = this.#connection!.stream;
    const pgOnData = this.#pgOnData!;
    socket.removeListener('data', this.#onData);
    socket.addListener('data', pgOnData);
    pgOnData(unread);
    // As pg-copy-streams does: pg's handler may pause the socket itself, so resume on the next tick.
    process.nextTick(() => socket.resume());
  }

  /** pg: the server refused or aborted the COPY. */
  handleError(error: Error): void {
    this.#finished = true;
    this.destroy(error);
  }

  /** pg: `COPY n` once the data is through. */
  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {}
}
