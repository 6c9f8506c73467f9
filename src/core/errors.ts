// One error type for everything a user or an API client may be told about. The code is stable
// kebab-case (clients match on it); the message is for people. Anything else is a bug and is
// reported as a plain 500 without details.
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);
export const unauthorized = (message = 'Sign in to continue.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'Only the owner can do this.') => new AppError(403, 'forbidden', message);
export const notFound = (message = 'There is nothing at this address.') => new AppError(404, 'not-found', message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
