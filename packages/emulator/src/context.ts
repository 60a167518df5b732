/** What an operation handler may know about the HTTP exchange carrying it. */
export interface RequestContext {
  /** False once the client went away; a task must never be handed to such a poll. */
  isOpen(): boolean;
  /** Runs once, when the response has been sent or the socket closed, whichever comes first. */
  onDone(cb: () => void): void;
  /** Runs if the response could not be written completely (client gone mid-answer). */
  onUndelivered(cb: () => void): void;
  /** The access key id from the SigV4 Authorization header, or 'anonymous'. */
  readonly userId: string;
}
