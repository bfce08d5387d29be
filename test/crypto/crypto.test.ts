import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CRYPTO_DECRYPT_FAILED,
  CRYPTO_INVALID_KEYS,
  CRYPTO_KEY_FILE_ERROR,
  CRYPTO_MALFORMED_CIPHERTEXT,
  CRYPTO_UNKNOWN_KEY_ID,
  CryptoError,
  createKeyRing,
  formatEncryptionKeys,
  loadOrCreateKeyFile,
  needsReencryption,
  parseEncryptionKeys,
} from '../../src/crypto/index.ts';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return (error as CryptoError).code;
  }
  return undefined;
}

/** Flips one bit in the base64url field at `index` of a v1 ciphertext. */
function flip(ciphertext: string, index: number): string {
  const parts = ciphertext.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

describe('key ring', () => {
  it('round-trips text, including unicode and empty strings', () => {
    const ring = createKeyRing([keyA]);
    for (const text of ['ghp_secret', '', 'ünïcødé ✓ 🔑', 'x'.repeat(10_000)]) {
      const ciphertext = ring.encrypt(text);
      expect(ciphertext).toMatch(/^v1:a:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]*$/);
      expect(ring.decrypt(ciphertext)).toBe(text);
    }
  });

  it('uses a fresh IV every time', () => {
    const ring = createKeyRing([keyA]);
    expect(ring.encrypt('same')).not.toBe(ring.encrypt('same'));
  });

  it('binds associated data', () => {
    const ring = createKeyRing([keyA]);
    const ciphertext = ring.encrypt('token', 'connection:1');
    expect(ring.decrypt(ciphertext, 'connection:1')).toBe('token');
    expect(codeOf(() => ring.decrypt(ciphertext, 'connection:2'))).toBe(CRYPTO_DECRYPT_FAILED);
    expect(codeOf(() => ring.decrypt(ciphertext))).toBe(CRYPTO_DECRYPT_FAILED);
  });

  it('refuses an unknown key id with a clear coded error', () => {
    const ciphertext = createKeyRing([keyB]).encrypt('secret');
    const ring = createKeyRing([keyA]);
    expect(codeOf(() => ring.decrypt(ciphertext))).toBe(CRYPTO_UNKNOWN_KEY_ID);
    expect(() => ring.decrypt(ciphertext)).toThrow(/key 'b'/);
  });

  it('detects a tampered tag, ciphertext or IV and never echoes the plaintext', () => {
    const ring = createKeyRing([keyA]);
    const ciphertext = ring.encrypt('super-secret-value');
    for (const index of [2, 3, 4]) {
      const tampered = flip(ciphertext, index);
      expect(codeOf(() => ring.decrypt(tampered))).toBe(CRYPTO_DECRYPT_FAILED);
      try {
        ring.decrypt(tampered);
      } catch (error) {
        expect(String(error)).not.toContain('super-secret-value');
        expect(String(error)).not.toContain(keyA.key.toString('base64'));
      }
    }
  });

  it('detects a ciphertext relabelled to another key id holding the same key', () => {
    const ring = createKeyRing([keyA, { id: 'a2', key: keyA.key }]);
    const relabelled = ring.encrypt('secret').replace(/^v1:a:/, 'v1:a2:');
    expect(codeOf(() => ring.decrypt(relabelled))).toBe(CRYPTO_DECRYPT_FAILED);
  });

  it('refuses malformed input', () => {
    const ring = createKeyRing([keyA]);
    for (const bad of ['', 'plain text', 'v2:a:AAAA:AAAA:AAAA', 'v1:a:AAAA:AAAA', 'v1:a:!!:AAAA:AAAA']) {
      expect(codeOf(() => ring.decrypt(bad))).toBe(CRYPTO_MALFORMED_CIPHERTEXT);
    }
  });

  it('rotates: the old key still decrypts, the new key encrypts', () => {
    const before = createKeyRing([keyA]);
    const old = before.encrypt('secret');
    const after = createKeyRing([keyB, keyA]);
    expect(after.activeKeyId).toBe('b');
    expect(after.decrypt(old)).toBe('secret');
    expect(needsReencryption(old, after)).toBe(true);
    const rewritten = after.encrypt(after.decrypt(old));
    expect(rewritten.startsWith('v1:b:')).toBe(true);
    expect(needsReencryption(rewritten, after)).toBe(false);
    expect(codeOf(() => before.decrypt(rewritten))).toBe(CRYPTO_UNKNOWN_KEY_ID);
  });

  it('honours an explicit active key id', () => {
    expect(createKeyRing([keyA, keyB], 'b').encrypt('x').startsWith('v1:b:')).toBe(true);
  });

  it('refuses bad rings, reporting every problem', () => {
    const error = (() => {
      try {
        createKeyRing([{ id: 'bad:id', key: keyA.key }, { id: 'short', key: randomBytes(16) }, keyA, keyA]);
      } catch (caught) {
        return caught as CryptoError;
      }
      return undefined;
    })();
    expect(error?.code).toBe(CRYPTO_INVALID_KEYS);
    expect(error?.problems).toHaveLength(3);
    expect(codeOf(() => createKeyRing([]))).toBe(CRYPTO_INVALID_KEYS);
    expect(codeOf(() => createKeyRing([keyA], 'missing'))).toBe(CRYPTO_INVALID_KEYS);
  });

  it('does not leak key bytes when inspected or serialised', () => {
    const ring = createKeyRing([keyA]);
    const shown = JSON.stringify(ring) + String(ring);
    expect(shown).not.toContain(keyA.key.toString('base64'));
    expect(shown).not.toContain(keyA.key.toString('hex'));
  });
});

describe('parseEncryptionKeys', () => {
  it('parses a comma list, first active, standard or url-safe base64', () => {
    const text = ` new:${keyB.key.toString('base64')} , old:${keyA.key.toString('base64url')}`;
    const entries = parseEncryptionKeys(text);
    expect(entries.map((entry) => entry.id)).toEqual(['new', 'old']);
    expect(Buffer.from(entries[0]!.key).equals(keyB.key)).toBe(true);
    expect(Buffer.from(entries[1]!.key).equals(keyA.key)).toBe(true);
    expect(createKeyRing(entries).activeKeyId).toBe('new');
  });

  it('round-trips through formatEncryptionKeys', () => {
    const text = formatEncryptionKeys([keyA, keyB]);
    expect(parseEncryptionKeys(text).map((entry) => Buffer.from(entry.key).toString('hex'))).toEqual([
      keyA.key.toString('hex'),
      keyB.key.toString('hex'),
    ]);
  });

  it('reports every problem with its position and never the key material', () => {
    const short = randomBytes(16).toString('base64');
    const text = [`a:${short}`, 'nocolon', '', `a:${keyA.key.toString('base64')}`, 'b:***', `b@d:${short}`].join(',');
    let error: CryptoError | undefined;
    try {
      parseEncryptionKeys(text);
    } catch (caught) {
      error = caught as CryptoError;
    }
    expect(error?.code).toBe(CRYPTO_INVALID_KEYS);
    expect(error?.problems).toEqual([
      "item 1 ('a'): key must decode to 32 bytes, got 16",
      'item 2 must look like id:base64key',
      'item 3 is empty',
      "item 4: key id 'a' is used more than once",
      "item 5 ('b'): key is not valid base64",
      'item 6: key id must be 1-64 characters of A-Z a-z 0-9 _ . -',
    ]);
    expect(error?.message).not.toContain(short);
    expect(error?.message).not.toContain(keyA.key.toString('base64'));
  });

  it('refuses an empty value', () => {
    expect(() => parseEncryptionKeys('  ')).toThrow(CryptoError);
  });
});

describe('loadOrCreateKeyFile', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'crypto-test-'));
    dirs.push(dir);
    return dir;
  }

  it('creates the key once with mode 0600 and reuses it', async () => {
    const dataDir = join(await tempDir(), 'nested', 'data');
    const first = await loadOrCreateKeyFile(dataDir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dataDir, 'encryption.key'));
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKeyFile(dataDir);
    expect(second.created).toBe(false);
    expect(second.permissionsTooOpen).toBe(false);
    expect(Buffer.from(second.keys[0]!.key).equals(Buffer.from(first.keys[0]!.key))).toBe(true);
    const ring = createKeyRing(second.keys);
    expect(createKeyRing(first.keys).decrypt(ring.encrypt('x'))).toBe('x');
  });

  it('gives every concurrent starter the same key', async () => {
    const dataDir = await tempDir();
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyFile(dataDir)));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const keys = new Set(results.map((result) => Buffer.from(result.keys[0]!.key).toString('hex')));
    expect(keys.size).toBe(1);
    const text = await readFile(join(dataDir, 'encryption.key'), 'utf8');
    expect(parseEncryptionKeys(text.trim())).toHaveLength(1);
  });

  it('flags a key file readable by others and refuses a corrupt one', async () => {
    const dataDir = await tempDir();
    const path = join(dataDir, 'encryption.key');
    await writeFile(path, formatEncryptionKeys([keyA]), { mode: 0o644 });
    expect((await loadOrCreateKeyFile(dataDir)).permissionsTooOpen).toBe(true);
    await writeFile(path, 'garbage');
    await expect(loadOrCreateKeyFile(dataDir)).rejects.toMatchObject({ code: CRYPTO_KEY_FILE_ERROR });
  });
});
