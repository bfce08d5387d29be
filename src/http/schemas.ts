/** Schemas shared by several routes: the error body, pagination, ids. */
import { z } from 'zod';
import { publicErrorCodes } from '../errors/catalogue.ts';

/** A catalogue code a response may carry (docs/errors.md); anything else fails serialization. */
export const errorCode = z.enum(publicErrorCodes);

export const errorResponse = z
  .object({
    error: z.object({
      code: errorCode.describe('Stable machine-readable code (see docs/errors.md)'),
      message: z.string(),
      field: z.string().optional().describe('The offending input, when there is one'),
      provider: z.string().optional().describe('The provider whose answer this is (jira-cloud, jira-server, github, …), when one is involved'),
    }),
  })
  .meta({ id: 'Error' });

export const uuidParam = z.object({ id: z.uuid() });

/** The error responses every authenticated route can give. */
export const authErrors = { 401: errorResponse, 403: errorResponse };
