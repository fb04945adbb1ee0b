/** Errors `npm start` reports to the user as they are: the message says what is wrong and what to do. */

/**
 * A refusal to start that the user can act on (bad credentials, a locked data directory):
 * `main` prints the message alone, without a stack trace, and exits non-zero.
 */
export class LocalStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Narrows a caught value to a Node.js system error with a string `code`. */
export function isErrnoException(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}
