import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const boolFlag = (onWords: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : onWords.includes(v.toLowerCase())));

/** Environment variables, validated once at start. Unknown values fail fast with a clear message. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_PATH: z.string().default('./data/keyledger.db'),
  KEYLEDGER_PEPPER: z.string().min(32, 'KEYLEDGER_PEPPER must be at least 32 characters').optional(),
  KEYLEDGER_KEY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9]{1,9}$/, 'KEYLEDGER_KEY_PREFIX: 2–10 lowercase letters or digits')
    .default('rag'),
  KEYLEDGER_SIGNUP: z.enum(['open', 'closed']).default('open'),
  KEYLEDGER_DEMO_API: z.enum(['on', 'off']).default('on'),
  KEYLEDGER_COOKIE_SECURE: boolFlag(['1', 'true', 'yes', 'on']),
  KEYLEDGER_USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  KEYLEDGER_MAX_KEYS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(100),
  KEYLEDGER_SIGNUPS_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(20),
  KEYLEDGER_USAGE_FLUSH_MS: z.coerce.number().int().min(1).max(1000).default(5),
  KEYLEDGER_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86400)
    .default(12 * 3600),
  KEYLEDGER_TRUST_PROXY: boolFlag(['1', 'true', 'yes', 'on']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  pepper: Buffer;
  keyPrefix: string;
  signUpOpen: boolean;
  demoApi: boolean;
  /** Secure cookies; undefined means "when the request came over HTTPS". */
  cookieSecure: boolean | undefined;
  usageRetentionDays: number;
  maxActiveKeysPerUser: number;
  /** Sign-up attempts allowed per client address per hour; each costs an argon2 hash. */
  signUpsPerHour: number;
  /** The group-commit interval for usage events: the most a crash can lose, and the batching it buys. */
  usageFlushMs: number;
  sessionTtlSeconds: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy: boolean;
  logLevel: string;
  /** Where the dashboard's adapter-node build lives; null serves no dashboard. */
  dashboardDir: string | null;
}

/**
 * Reads the pepper from the environment, or from a 0600 file beside the database, made on first start.
 * Losing the pepper makes every stored key unverifiable, so the file is never overwritten, and a new one
 * is never made for a database that already exists (a restore that forgot the file): that would fail
 * every key silently.
 */
export function loadPepper(databasePath: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  if (databasePath === ':memory:') return randomBytes(32);
  const file = join(dirname(databasePath), 'keyledger.pepper');
  if (!existsSync(file)) {
    if (existsSync(databasePath)) {
      throw new Error(
        `the pepper file ${file} is missing but the database ${databasePath} exists: restore the pepper ` +
          'kept with your backups, or set KEYLEDGER_PEPPER (a database that holds nothing yet can be deleted)',
      );
    }
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process made it first; use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export function configFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  dashboardDir: string | null = null,
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  let pepper: Buffer | undefined;
  return {
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_PATH,
    // Read on first use: the CLI's log commands (replay, verify-chain, backup) need no secret and must
    // not create one beside a database they are only checking.
    get pepper() {
      pepper ??= loadPepper(e.DATABASE_PATH, e.KEYLEDGER_PEPPER);
      return pepper;
    },
    keyPrefix: e.KEYLEDGER_KEY_PREFIX,
    signUpOpen: e.KEYLEDGER_SIGNUP === 'open',
    demoApi: e.KEYLEDGER_DEMO_API === 'on',
    cookieSecure: e.KEYLEDGER_COOKIE_SECURE,
    usageRetentionDays: e.KEYLEDGER_USAGE_RETENTION_DAYS,
    maxActiveKeysPerUser: e.KEYLEDGER_MAX_KEYS_PER_USER,
    signUpsPerHour: e.KEYLEDGER_SIGNUPS_PER_HOUR,
    usageFlushMs: e.KEYLEDGER_USAGE_FLUSH_MS,
    sessionTtlSeconds: e.KEYLEDGER_SESSION_TTL_SECONDS,
    trustProxy: e.KEYLEDGER_TRUST_PROXY ?? false,
    logLevel: e.LOG_LEVEL,
    dashboardDir,
  };
}
