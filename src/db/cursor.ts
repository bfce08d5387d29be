/**
 * Keyset cursors over (created_at, id), newest first, shared by every paginated list. The timestamp
 * travels as text with microseconds: a JS Date would round to milliseconds, and rows written by one
 * statement (same created_at) would be skipped or repeated at page boundaries.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { AppError } from '../errors/app-error.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CursorPosition {
  at: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

/** The position a cursor names; throws a 400 on anything we did not issue. */
export function decodeCursor(cursor: string, field = 'query.cursor'): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/.test(at) && uuidPattern.test(id)) {
      return { at, id };
    }
  } catch {
    // falls through to the error below
  }
  throw new AppError('VALIDATION_FAILED', `${field}: is not a cursor this API issued`, { field });
}

/** Select column: created_at in UTC with microseconds, the cursor's time part. */
export function cursorTime(column: AnyPgColumn): SQL<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
}

/** Rows strictly after the cursor in (created_at desc, id desc) order. */
export function afterCursor(createdAt: AnyPgColumn, id: AnyPgColumn, cursor: CursorPosition): SQL {
  return sql`(${createdAt}, ${id}) < ((${cursor.at}::timestamp at time zone 'UTC'), ${cursor.id}::uuid)`;
}
