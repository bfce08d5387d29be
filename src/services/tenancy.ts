/**
 * Maps a verified principal to its organization and user rows. Organizations named by a trusted
 * token are provisioned on first sight (the issuer is the authority on tenants); every query after
 * this point is scoped by the returned org id.
 */
import { and, eq } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { organizations, users } from '../db/schema.ts';

export interface Tenant {
  orgId: string;
  orgSlug: string;
  userId: string;
}

/** The users row of a subject in an organization, created on first sight. */
export async function ensureUser(orm: Orm, orgId: string, subject: string): Promise<string> {
  await orm.insert(users).values({ orgId, subject }).onConflictDoNothing({ target: [users.orgId, users.subject] });
  const [row] = await orm.select({ id: users.id }).from(users).where(and(eq(users.orgId, orgId), eq(users.subject, subject)));
  if (!row) throw new Error('user could not be provisioned');
  return row.id;
}

export class TenantDirectory {
  readonly #orm: Orm;
  readonly #orgIds = new Map<string, string>();
  readonly #userIds = new Map<string, string>();

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  async orgId(slug: string): Promise<string> {
    const cached = this.#orgIds.get(slug);
    if (cached) return cached;
    await this.#orm.insert(organizations).values({ slug, name: slug }).onConflictDoNothing({ target: organizations.slug });
    const [row] = await this.#orm.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug));
    if (!row) throw new Error(`organization ${slug} could not be provisioned`);
    this.#orgIds.set(slug, row.id);
    return row.id;
  }

  async resolve(orgSlug: string, subject: string): Promise<Tenant> {
    const orgId = await this.orgId(orgSlug);
    const key = `${orgId}\u0000${subject}`;
    let userId = this.#userIds.get(key);
    if (!userId) {
      userId = await ensureUser(this.#orm, orgId, subject);
      this.#userIds.set(key, userId);
    }
    return { orgId, orgSlug, userId };
  }
}
