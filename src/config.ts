import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_IDENTITY_RULES, type IdentityRules } from './core/identity/identifier.js';
import type { TraitStrategies } from './core/profiles/traits.js';

/** Everything the hub reads at start-up, once: flags > environment > config file > defaults. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `normal`: survives a process crash; `full`: also power loss (fsync per commit). */
  readonly durability: 'normal' | 'full';
  readonly writeKey?: string;
  readonly adminKey?: string;
  /** Events waiting for their group commit; beyond it ingestion answers 429. */
  readonly maxPendingEvents: number;
  /** Events appended but not yet processed; beyond it ingestion answers 429. */
  readonly maxLag: number;
  readonly batchSize: number;
  /**
   * Where the log is processed: `thread` (default), on a worker thread of its own, so that ingestion
   * and the APIs keep the main thread and processing uses a second core; `inline`, on the main thread.
   * A hub on a virtual clock (tests, simulation) always processes inline.
   */
  readonly processing: 'thread' | 'inline';
  readonly identity: IdentityRules;
  readonly traitStrategies: TraitStrategies;
  readonly logLevel: string;
  /** Key (base64, 32 bytes) that encrypts contributors' credentials; default: `secret.key` in the data directory, made on first start. */
  readonly secretKey?: string;
  /** Private or loopback destinations webhooks and SMS gateways may reach (addresses, hosts or CIDRs); none by default (SSRF guard). */
  readonly allowDestinations: readonly string[];
  /** The hub's address as recipients reach it (unsubscribe and tracking links); default `http://HOST:PORT`. */
  readonly publicUrl?: string;
}

const Strategy = z.enum(['latest', 'first', 'keep']);
const FileConfig = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  dataDir: z.string().optional(),
  durability: z.enum(['normal', 'full']).optional(),
  maxPendingEvents: z.number().int().positive().optional(),
  maxLag: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().max(10_000).optional(),
  processing: z.enum(['thread', 'inline']).optional(),
  logLevel: z.string().optional(),
  allowDestinations: z.array(z.string().min(1).max(100)).max(100).optional(),
  publicUrl: z.url().optional(),
  identity: z
    .strictObject({
      identifiers: z
        .array(
          z.strictObject({
            type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/),
            paths: z.array(z.string().min(1)).min(1),
            limit: z.number().int().positive().optional(),
            normalize: z.enum(['none', 'email', 'phone']).optional(),
          }),
        )
        .min(1),
    })
    .optional(),
  traitStrategies: z.record(z.string(), Strategy).optional(),
});
export type FileConfig = z.infer<typeof FileConfig>;

export type Flags = Partial<Pick<Config, 'host' | 'port' | 'dataDir'>> & { readonly config?: string };

export function loadConfig(flags: Flags, env: Readonly<Record<string, string | undefined>>): Config {
  const path = flags.config ?? env.XHUB_CONFIG;
  const file: FileConfig = path ? parseFile(path) : {};
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const durability = env.XHUB_DURABILITY ?? file.durability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') throw new Error(`XHUB_DURABILITY must be normal or full, got '${durability}'`);
  const processing = env.XHUB_PROCESSING || file.processing || 'thread';
  if (processing !== 'thread' && processing !== 'inline') throw new Error(`XHUB_PROCESSING must be thread or inline, got '${processing}'`);
  return {
    host: flags.host ?? env.XHUB_HOST ?? file.host ?? '127.0.0.1',
    port: flags.port ?? num(env.XHUB_PORT, 'XHUB_PORT') ?? file.port ?? 8080,
    dataDir: flags.dataDir ?? env.XHUB_DATA ?? file.dataDir ?? './data',
    durability,
    writeKey: env.XHUB_WRITE_KEY || undefined,
    adminKey: env.XHUB_ADMIN_KEY || undefined,
    maxPendingEvents: num(env.XHUB_MAX_PENDING, 'XHUB_MAX_PENDING') ?? file.maxPendingEvents ?? 50_000,
    maxLag: num(env.XHUB_MAX_LAG, 'XHUB_MAX_LAG') ?? file.maxLag ?? 2_000_000,
    batchSize: file.batchSize ?? 2_000,
    processing,
    identity: file.identity ?? DEFAULT_IDENTITY_RULES,
    traitStrategies: file.traitStrategies ?? {},
    logLevel: env.XHUB_LOG_LEVEL ?? file.logLevel ?? 'info',
    secretKey: env.XHUB_SECRET_KEY || undefined,
    allowDestinations: env.XHUB_ALLOW_DESTINATIONS ? env.XHUB_ALLOW_DESTINATIONS.split(',').map((d) => d.trim()).filter(Boolean) : (file.allowDestinations ?? []),
    publicUrl: env.XHUB_PUBLIC_URL || file.publicUrl || undefined,
  };
}

function parseFile(path: string): FileConfig {
  const parsed = FileConfig.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration file ${path}: ${issues}`);
  }
  return parsed.data;
}
