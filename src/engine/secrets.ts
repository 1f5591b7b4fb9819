import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Seals and opens secrets (contributors' credentials) with AES-256-GCM under the hub's key. */
export class Secrets {
  private constructor(private readonly key: Buffer) {}

  /** The configured key (base64 of 32 bytes), else `secret.key` in the data directory, created on first start (mode 600). */
  static load(dataDir: string, configured?: string): Secrets {
    if (configured !== undefined) {
      const key = Buffer.from(configured, 'base64');
      if (key.length !== 32) throw new Error('XHUB_SECRET_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
      return new Secrets(key);
    }
    const file = join(dataDir, 'secret.key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    return Secrets.load(dataDir, readFileSync(file, 'utf8').trim());
  }

  /** A tamper-proof token carrying `data` (tracking and unsubscribe links): readable, not forgeable. */
  sign(data: unknown): string {
    const body = Buffer.from(JSON.stringify(data)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The data of a token `sign` made, or undefined when it was not made here (or was changed). */
  verify(token: string): unknown {
    const [body, mac] = token.split('.');
    if (body === undefined || mac === undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update('link:').update(body).digest('base64url').slice(0, 27);
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${data.toString('base64url')}`;
  }

  open(sealed: string): unknown {
    const [v, iv, tag, data] = sealed.split('.');
    if (v !== 'v1' || iv === undefined || tag === undefined || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')) as unknown;
  }
}
