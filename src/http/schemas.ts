/** Schemas shared by several routes: the error body, pagination, ids. */
import { z } from 'zod';

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code (see docs/errors.md)'),
      message: z.string(),
      field: z.string().optional().describe('The offending input, when there is one'),
    }),
  })
  .meta({ id: 'Error' });

export const uuidParam = z.object({ id: z.uuid() });

/** The error responses every authenticated route can give. */
export const authErrors = { 401: errorResponse, 403: errorResponse };
