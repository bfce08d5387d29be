/**
 * Local accounts for the web UI: a username (unique across organizations), a scrypt password hash
 * and roles. A local account is the users row of its organization with `subject` = username, so a
 * session acts exactly like a bearer token with that `sub`, `org` and `roles`.
 *
 * Hash format (parameters and salt travel with the hash, so they can be raised later without
 * invalidating stored ones): `$scrypt$ln=15,r=8,p=1$<salt base64>$<key base64>` (16-byte salt,
 * 32-byte key; N = 2^ln).
 */
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { organizations, users } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { TenantDirectory } from './tenancy.ts';

export const localRoles = ['admin', 'member'] as const;
export type LocalRole = (typeof localRoles)[number];

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,100}$/;
export const PASSWORD_MIN_LENGTH = 12;
const PASSWORD_MAX_LENGTH = 1024;

const SCRYPT = { ln: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** 128 * N * r bytes, with room: Node's default maxmem (32 MiB) is exactly what ln=15, r=8 needs. */
const maxmem = (n: number, r: number) => 256 * n * r;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const n = 2 ** SCRYPT.ln;
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N: n, r: SCRYPT.r, p: SCRYPT.p, maxmem: maxmem(n, SCRYPT.r) });
  return `$scrypt$ln=${SCRYPT.ln},r=${SCRYPT.r},p=${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const encoded = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** False for a wrong password and for a hash this code cannot read (never throws on input). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = encoded.exec(hash);
  if (!match) return false;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return false;
  const salt = Buffer.from(match[4]!, 'base64');
  const expected = Buffer.from(match[5]!, 'base64');
  if (expected.length < 16) return false;
  const n = 2 ** ln;
  const key = await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: maxmem(n, r) });
  return timingSafeEqual(key, expected);
}

let dummyHash: Promise<string> | null = null;
/** Hashed once per process: unknown usernames cost as much as wrong passwords. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  return dummyHash;
}

export function checkUsername(username: string): string {
  if (!USERNAME_PATTERN.test(username)) {
    throw new AppError('VALIDATION_FAILED', 'username: letters, digits and . _ @ - only, 1 to 100 characters', { field: 'username' });
  }
  return username;
}

export function checkPassword(password: string): string {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new AppError('VALIDATION_FAILED', `password: ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`, { field: 'password' });
  }
  return password;
}

export interface LocalUser {
  id: string;
  username: string;
  subject: string;
  roles: string[];
  orgId: string;
  orgSlug: string;
  createdAt: Date;
}

const userColumns = {
  id: users.id,
  username: users.username,
  subject: users.subject,
  roles: users.roles,
  orgId: users.orgId,
  orgSlug: organizations.slug,
  createdAt: users.createdAt,
};

function asLocal(row: { username: string | null } & Omit<LocalUser, 'username'>): LocalUser {
  return { ...row, username: row.username ?? row.subject };
}

export class UserService {
  readonly #orm: Orm;
  readonly #tenants: TenantDirectory;

  constructor(orm: Orm, tenants: TenantDirectory) {
    this.#orm = orm;
    this.#tenants = tenants;
  }

  async findByUsername(username: string): Promise<LocalUser | null> {
    const [row] = await this.#orm.select(userColumns).from(users).innerJoin(organizations, eq(organizations.id, users.orgId)).where(eq(users.username, username));
    return row ? asLocal(row) : null;
  }

  async findById(id: string): Promise<LocalUser | null> {
    const [row] = await this.#orm.select(userColumns).from(users).innerJoin(organizations, eq(organizations.id, users.orgId)).where(eq(users.id, id));
    return row?.username ? asLocal(row) : null;
  }

  async list(): Promise<LocalUser[]> {
    const rows = await this.#orm
      .select(userColumns)
      .from(users)
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .orderBy(asc(organizations.slug), asc(users.username));
    return rows.filter((row) => row.username !== null).map(asLocal);
  }

  /**
   * Creates a local account in `orgSlug` (provisioned when new). A users row already there for the
   * same subject (someone who called the API with a token as `sub: username`) becomes the account.
   * CONFLICT when the username is taken.
   */
  async create(input: { username: string; password: string; roles: LocalRole[]; orgSlug: string }): Promise<LocalUser> {
    const username = checkUsername(input.username);
    const passwordHash = await hashPassword(checkPassword(input.password));
    if (await this.findByUsername(username)) throw new AppError('CONFLICT', `a user named ${username} already exists`, { field: 'username' });
    const tenant = await this.#tenants.resolve(input.orgSlug, username);
    const updated = await this.#orm
      .update(users)
      .set({ username, passwordHash, roles: [...new Set(input.roles)] })
      .where(eq(users.id, tenant.userId))
      .returning({ id: users.id, username: users.username })
      .catch((error: unknown) => {
        // The unique index: another process created the same username in between.
        if ((error as { code?: string }).code === '23505' || /users_username_uq/.test(String(error))) {
          throw new AppError('CONFLICT', `a user named ${username} already exists`, { field: 'username' });
        }
        throw error;
      });
    if (updated[0]?.username !== username) throw new AppError('CONFLICT', `a user named ${username} already exists`, { field: 'username' });
    const created = await this.findByUsername(username);
    if (!created) throw new Error('user could not be created');
    return created;
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(checkPassword(password));
    const updated = await this.#orm.update(users).set({ passwordHash }).where(eq(users.username, username)).returning({ id: users.id });
    return updated.length > 0;
  }

  /**
   * The account for these credentials, or null. Unknown usernames are checked against a dummy hash,
   * so the answer takes as long as for a wrong password.
   */
  async authenticate(username: string, password: string): Promise<LocalUser | null> {
    const [row] = USERNAME_PATTERN.test(username)
      ? await this.#orm
          .select({ ...userColumns, passwordHash: users.passwordHash })
          .from(users)
          .innerJoin(organizations, eq(organizations.id, users.orgId))
          .where(eq(users.username, username))
      : [];
    const hash = row?.passwordHash ?? (await dummy());
    const ok = await verifyPassword(password.slice(0, PASSWORD_MAX_LENGTH + 1), hash);
    if (!row?.passwordHash || !ok) return null;
    const { passwordHash: _omitted, ...user } = row;
    return asLocal(user);
  }

  /** ADMIN_USERNAME/ADMIN_PASSWORD: created when no user has that name; an existing one is left alone. */
  async ensureAdmin(admin: { username: string; password: string; org: string }): Promise<{ created: boolean }> {
    if (await this.findByUsername(admin.username)) return { created: false };
    try {
      await this.create({ username: admin.username, password: admin.password, roles: ['admin'], orgSlug: admin.org });
      return { created: true };
    } catch (error) {
      // Two processes starting together: the other one created it.
      if (error instanceof AppError && error.code === 'CONFLICT') return { created: false };
      throw error;
    }
  }
}
