/**
 * The error services throw for the caller's mistakes and the request's state (not found, not
 * connected, validation): a CodedError without a provider. The HTTP error handler turns every
 * CodedError into the one error shape; `errorBody` builds that shape.
 */
import type { PublicErrorCode } from './catalogue.ts';
import { CodedError, type CodedErrorOptions } from './coded-error.ts';

export { attributeTo, CodedError, type CodedErrorOptions, isCodedError, retryAfterHeaders } from './coded-error.ts';

export class AppError extends CodedError {
  constructor(code: ConstructorParameters<typeof CodedError>[0], message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = 'AppError';
  }
}

export interface ErrorBody {
  error: { code: PublicErrorCode; message: string; field?: string; provider?: string };
}

/** The one error shape; only public catalogue codes type-check here. */
export function errorBody(code: PublicErrorCode, message: string, field?: string, provider?: string): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(field === undefined ? {} : { field }),
      ...(provider === undefined ? {} : { provider }),
    },
  };
}
