// The only reader of process.env. Every variable of the README's Configuration table is parsed and
// validated here, once, at boot; a bad value becomes one ConfigError line naming the variable.
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type AiProvider = 'openai' | 'anthropic' | 'none';
export type AiMode = 'off' | 'suggest' | 'auto';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** The passphrase from DATABASE_KEY or DATABASE_KEY_FILE; undefined means "use or create DATA_DIR/db.key". */
  databaseKey?: string;
  databaseKeySource: 'env' | 'file' | 'generated';
  /** DATABASE_KEY_FILE's path, when the key comes from there (key rotation names the file to update). */
  databaseKeyFile?: string;
  /** PUBLIC_URL, or http://localhost:3000 when unset (the data-deletion callback's status link uses it). */
  publicUrl: string;
  /** Whether PUBLIC_URL was set: if not, links meant to be pasted elsewhere use the request's own address. */
  publicUrlSet: boolean;
  secureCookies: boolean;
  /** CHATX_IN_DOCKER=1 (set by the Dockerfile): hints name `docker compose exec chatx chatx …`, else `npm run chatx -- …`. */
  inDocker: boolean;
  fb: {
    appId?: string;
    appSecret?: string;
    verifyToken?: string;
    pageId?: string;
    pageAccessToken?: string;
  };
  graphApiUrl: string;
  graphApiVersion: string;
  ai: {
    provider: AiProvider;
    model?: string;
    mode: AiMode;
    openaiApiKey?: string;
    openaiBaseUrl?: string;
    anthropicApiKey?: string;
    anthropicBaseUrl?: string;
    /** Which of provider, mode and model the environment set (they then win over Settings → AI). */
    fromEnv: { provider: boolean; mode: boolean; model: boolean };
    /** AI_KNOWLEDGE_FILE: business knowledge kept in a file, loaded at start beside the entries in Settings. */
    knowledgeFile?: string;
    /** AI_DEBOUNCE_MS: how long the AI waits for more messages from the same customer before answering. */
    debounceMs: number;
  };
  tz: string;
  logLevel: LogLevel;
  /** Express `trust proxy`: which hops may set X-Forwarded-For (the sign-in throttle counts per client IP). */
  trustProxy: string;
  /** BACKUP_KEEP: how many nightly backups DATA_DIR/backups keeps; 0 turns the nightly backup off. */
  backupKeep: number;
  /** NODE_ENV=development (npm run dev): templates are re-read on every request. */
  development: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * The environment as ChatX sees it: `.env` in the working directory (if any) underneath the real
 * environment, so the environment wins, as the contract says.
 */
export function readEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  const file = path.join(cwd, '.env');
  let fromFile: Env = {};
  if (fs.existsSync(file)) {
    try {
      fromFile = parseEnv(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError('.env', `cannot be read (${(err as Error).message})`);
    }
  }
  return { ...fromFile, ...env };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase() as T;
  if (!allowed.includes(lower)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return lower;
}

function httpUrl(env: Env, name: string, fallback: string | undefined): string | undefined {
  const value = optional(env, name) ?? fallback;
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL (got "${value}")`);
  }
  return value.replace(/\/+$/, '');
}

function port(env: Env): number {
  const value = optional(env, 'PORT');
  if (value === undefined) return 3000;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) {
    throw new ConfigError('PORT', `must be a whole number from 0 to 65535 (got "${value}")`);
  }
  return n;
}

function timeZone(env: Env): string {
  const value = optional(env, 'TZ') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new ConfigError('TZ', `is not a known time zone (got "${value}"); use a name like Europe/Berlin`);
  }
  return value;
}

function wholeNumber(env: Env, name: string, fallback: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from 0 to ${max} (got "${value}")`);
  }
  return Number(value);
}

function databaseKey(env: Env): Pick<Config, 'databaseKey' | 'databaseKeySource' | 'databaseKeyFile'> {
  const direct = env.DATABASE_KEY;
  const file = optional(env, 'DATABASE_KEY_FILE');
  if (direct !== undefined && direct !== '' && file !== undefined) {
    throw new ConfigError('DATABASE_KEY', 'set either DATABASE_KEY or DATABASE_KEY_FILE, not both');
  }
  if (direct !== undefined && direct !== '') {
    return { databaseKey: direct, databaseKeySource: 'env' };
  }
  if (file !== undefined) {
    let content: string;
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError('DATABASE_KEY_FILE', `cannot read ${file} (${code})`);
    }
    // A secret file usually ends with a newline that is not part of the key.
    const key = content.replace(/\r?\n$/, '');
    if (key === '') throw new ConfigError('DATABASE_KEY_FILE', `${file} is empty`);
    return { databaseKey: key, databaseKeySource: 'file', databaseKeyFile: path.resolve(file) };
  }
  return { databaseKey: undefined, databaseKeySource: 'generated' };
}

export function loadConfig(env: Env = readEnvironment()): Config {
  const publicUrl = httpUrl(env, 'PUBLIC_URL', 'http://localhost:3000')!;
  const graphApiVersion = optional(env, 'GRAPH_API_VERSION') ?? 'v25.0';
  if (!/^v\d+\.\d+$/.test(graphApiVersion)) {
    throw new ConfigError('GRAPH_API_VERSION', `must look like v25.0 (got "${graphApiVersion}")`);
  }
  const provider = oneOf<AiProvider>(env, 'AI_PROVIDER', ['openai', 'anthropic', 'none'], 'none');
  const mode = oneOf<AiMode>(env, 'AI_MODE', ['off', 'suggest', 'auto'], provider === 'none' ? 'off' : 'suggest');
  if (provider === 'none' && mode !== 'off') {
    throw new ConfigError('AI_MODE', `is "${mode}" but AI_PROVIDER is none; set AI_PROVIDER or AI_MODE=off`);
  }
  const dataDir = path.resolve(optional(env, 'DATA_DIR') ?? './data');
  const fbPageId = optional(env, 'FB_PAGE_ID');
  if (fbPageId !== undefined && !/^\d+$/.test(fbPageId)) {
    throw new ConfigError('FB_PAGE_ID', `must be the numeric Page id (got "${fbPageId}")`);
  }
  return {
    port: port(env),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    ...databaseKey(env),
    publicUrl,
    publicUrlSet: optional(env, 'PUBLIC_URL') !== undefined,
    secureCookies: publicUrl.startsWith('https:'),
    inDocker: optional(env, 'CHATX_IN_DOCKER') === '1',
    fb: {
      appId: optional(env, 'FB_APP_ID'),
      appSecret: optional(env, 'FB_APP_SECRET'),
      verifyToken: optional(env, 'FB_VERIFY_TOKEN'),
      pageId: fbPageId,
      pageAccessToken: optional(env, 'FB_PAGE_ACCESS_TOKEN'),
    },
    graphApiUrl: httpUrl(env, 'GRAPH_API_URL', 'https://graph.facebook.com')!,
    graphApiVersion,
    ai: {
      provider,
      model: optional(env, 'AI_MODEL'),
      mode,
      openaiApiKey: optional(env, 'OPENAI_API_KEY'),
      openaiBaseUrl: httpUrl(env, 'OPENAI_BASE_URL', undefined),
      anthropicApiKey: optional(env, 'ANTHROPIC_API_KEY'),
      anthropicBaseUrl: httpUrl(env, 'ANTHROPIC_BASE_URL', undefined),
      fromEnv: {
        provider: optional(env, 'AI_PROVIDER') !== undefined,
        mode: optional(env, 'AI_MODE') !== undefined,
        model: optional(env, 'AI_MODEL') !== undefined,
      },
      knowledgeFile: knowledgeFile(env),
      debounceMs: wholeNumber(env, 'AI_DEBOUNCE_MS', 3000, 10 * 60 * 1000),
    },
    tz: timeZone(env),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
    development: env.NODE_ENV === 'development',
    trustProxy: optional(env, 'TRUST_PROXY') ?? 'loopback',
    backupKeep: wholeNumber(env, 'BACKUP_KEEP', 7, 1000),
  };
}

function knowledgeFile(env: Env): string | undefined {
  const file = optional(env, 'AI_KNOWLEDGE_FILE');
  if (file === undefined) return undefined;
  try {
    if (!fs.statSync(file).isFile()) throw new ConfigError('AI_KNOWLEDGE_FILE', `${file} is not a file`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('AI_KNOWLEDGE_FILE', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return path.resolve(file);
}

/** Makes Node's own clock follow TZ, so cron schedules and dates agree with the config. */
export function applyTimeZone(config: Config): void {
  process.env.TZ = config.tz;
}

const SECRET = /secret|token|key|password/i;

/** A printable view of the config with every secret masked: the server logs it at debug level as it starts. */
export function describeConfig(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: unknown): void => {
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    if (value === undefined) return;
    out[prefix] = SECRET.test(prefix) && !prefix.endsWith('Source') ? mask(String(value)) : String(value);
  };
  walk('', config);
  return out;
}

/** Secrets are never printed, not even in part: only whether they are set. */
export function mask(secret: string): string {
  return secret === '' ? '(empty)' : '(set)';
}
