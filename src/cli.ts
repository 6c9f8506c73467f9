// The admin CLI of the contract: `npm run cli -- <command>` or `chatx <command>` in the Docker image.
// Each command prints a clear result and exits 0, or prints one line saying why and exits non-zero.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApiToken, listApiTokens, revokeApiToken, tokenStatus } from './auth/api-tokens';
import { generatePassword } from './auth/passwords';
import { createUser, findUserByEmail, isRole, normalizeEmail, setPassword } from './auth/users';
import { applyTimeZone, ConfigError, loadConfig, type Config } from './config';
import { DataDirError } from './core/data-dir';
import { DatabaseKeyError } from './core/db';
import { AppError } from './core/errors';
import { setLogLevel } from './core/log';
import { MigrationError } from './core/migrate';
import type { Deps } from './deps';
import { runDoctor } from './doctor';
import { audit } from './privacy/audit';
import { withExportConnection } from './privacy/export-connection';
import { checkExportTarget, exportProgressLine, exportToFile } from './privacy/export-file';
import { backupCommand, rekeyCommand, restoreCommand, wipeCommand } from './privacy/vault-cli';
import { buildServices } from './services';

class UsageError extends Error {}

type Options = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  run(config: Config, options: Options): Promise<number>;
}

function required(options: Options, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** The same services the server builds (without its writer thread or jobs), closed afterwards. */
async function withServices<T>(config: Config, fn: (deps: Deps) => Promise<T>): Promise<T> {
  const services = await buildServices(config);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

const commands: Record<string, Command> = {
  'user:add': {
    usage: 'user:add --email E --role owner|staff [--password P]',
    options: { email: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
    run: (config, o) => {
      const email = normalizeEmail(required(o, 'email'));
      const role = required(o, 'role');
      if (!isRole(role)) throw new UsageError('--role must be owner or staff');
      const password = typeof o.password === 'string' ? o.password : generatePassword();
      return withServices(config, async ({ db }) => {
        const user = await createUser(db, { email, role, password, name: typeof o.name === 'string' ? o.name : '' });
        await audit(db, { actor: 'cli', action: 'user.created', target: user.email, detail: { role } });
        console.log(`Created ${role} ${user.email}.`);
        if (typeof o.password !== 'string') console.log(`Password (shown once): ${password}`);
        return 0;
      });
    },
  },
  'user:reset-password': {
    usage: 'user:reset-password --email E [--password P]',
    options: { email: { type: 'string' }, password: { type: 'string' } },
    run: (config, o) => {
      const email = normalizeEmail(required(o, 'email'));
      const password = typeof o.password === 'string' ? o.password : generatePassword();
      return withServices(config, async ({ db }) => {
        const user = await findUserByEmail(db, email);
        if (!user) throw new UsageError(`no user with the email ${email}`);
        await setPassword(db, user.id, password);
        await audit(db, { actor: 'cli', action: 'user.password-reset', target: user.email });
        console.log(
          `Reset the password of ${user.email}; their sessions were signed out and the sign-in limit on the account lifted.`,
        );
        if (typeof o.password !== 'string') console.log(`New password (shown once): ${password}`);
        return 0;
      });
    },
  },
  'token:create': {
    usage: 'token:create --name N [--role owner|staff] [--expires-days D]',
    options: { name: { type: 'string' }, role: { type: 'string' }, 'expires-days': { type: 'string' } },
    run: (config, o) => {
      const name = required(o, 'name');
      const role = typeof o.role === 'string' ? o.role : 'staff';
      if (!isRole(role)) throw new UsageError('--role must be owner or staff');
      const days = o['expires-days'] === undefined ? undefined : Number(o['expires-days']);
      if (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 3650))
        throw new UsageError('--expires-days must be a whole number of days from 1 to 3650');
      return withServices(config, async ({ db }) => {
        const expiresAt = days === undefined ? undefined : Date.now() + days * 24 * 3600 * 1000;
        const { token } = await createApiToken(db, { name, role, expiresAt });
        await audit(db, { actor: 'cli', action: 'api-token.created', target: name, detail: { role, expiresAt } });
        console.log(
          `Created the ${role} API token "${name}"${days ? ` (expires in ${days} days)` : ''}. It is shown only once; store it now:`,
        );
        console.log(token);
        return 0;
      });
    },
  },
  'token:list': {
    usage: 'token:list',
    options: {},
    run: (config) =>
      withServices(config, async ({ db }) => {
        const tokens = await listApiTokens(db);
        if (tokens.length === 0) {
          console.log('No API tokens. Create one with: chatx token:create --name N');
          return 0;
        }
        const day = (ms: number | null) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '-');
        const rows = tokens.map((t) => [
          String(t.id),
          t.name,
          t.role,
          tokenStatus(t),
          day(t.created_at),
          day(t.last_used_at),
          day(t.expires_at),
        ]);
        const head = ['id', 'name', 'role', 'status', 'created', 'last used', 'expires'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const r of [head, ...rows])
          console.log(
            r
              .map((c, i) => c.padEnd(widths[i]))
              .join('  ')
              .trimEnd(),
          );
        return 0;
      }),
  },
  'token:revoke': {
    usage: 'token:revoke --name N | --id ID',
    options: { name: { type: 'string' }, id: { type: 'string' } },
    run: (config, o) => {
      const id = typeof o.id === 'string' ? Number(o.id) : undefined;
      const name = typeof o.name === 'string' ? o.name.trim() : undefined;
      if ((id === undefined) === (name === undefined)) throw new UsageError('give --name or --id (one of them)');
      if (id !== undefined && !(Number.isSafeInteger(id) && id > 0))
        throw new UsageError('--id must be a token id (see token:list)');
      return withServices(config, async ({ db }) => {
        const token = await revokeApiToken(db, { id, name });
        await audit(db, { actor: 'cli', action: 'api-token.revoked', target: token.name, detail: { id: token.id } });
        console.log(`Revoked the API token "${token.name}" (id ${token.id}); it no longer opens the API.`);
        return 0;
      });
    },
  },
  export: {
    usage: 'export --out FILE.zip',
    options: { out: { type: 'string' } },
    run: (config, o) => {
      const out = required(o, 'out');
      checkExportTarget(out);
      return withServices(config, async ({ db, databaseKey }) => {
        await audit(db, { actor: 'cli', action: 'export.full', detail: { via: 'cli', file: path.basename(out) } });
        const progress = process.stderr.isTTY ? exportProgressLine() : undefined;
        const result = await withExportConnection(db.file, databaseKey.passphrase, (reader) =>
          exportToFile(reader, out, progress),
        );
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        const c = result.counts;
        const n = (x: number, word: string) => `${x.toLocaleString('en')} ${word}${x === 1 ? '' : 's'}`;
        console.log(
          `Exported ${n(c.messages, 'message')}, ${n(c.contacts, 'contact')}, ${n(c.conversations, 'conversation')} and ${n(c.files, 'file')} ` +
            `to ${result.file} (${(result.bytes / 2 ** 20).toFixed(1)} MB). It is not encrypted: keep it safe.`,
        );
        return 0;
      });
    },
  },
  backup: {
    usage: 'backup --out FILE.db',
    options: { out: { type: 'string' } },
    run: (config, o) => backupCommand(config, required(o, 'out')),
  },
  restore: {
    usage: 'restore --from FILE.db [--key-file F]',
    options: { from: { type: 'string' }, 'key-file': { type: 'string' } },
    run: (config, o) =>
      restoreCommand(config, required(o, 'from'), o['key-file'] === undefined ? undefined : required(o, 'key-file')),
  },
  rekey: {
    usage: 'rekey [--new-key-file F]',
    options: { 'new-key-file': { type: 'string' } },
    run: (config, o) => rekeyCommand(config, o['new-key-file'] === undefined ? undefined : required(o, 'new-key-file')),
  },
  wipe: {
    usage: 'wipe --yes',
    options: { yes: { type: 'boolean' } },
    run: (config, o) => {
      if (o.yes !== true) throw new UsageError('wipe deletes the database and every backup; add --yes to confirm');
      return wipeCommand(config);
    },
  },
  doctor: {
    usage: 'doctor',
    options: {},
    run: async (config) => ((await runDoctor(config)) ? 0 : 1),
  },
};

function usage(): string {
  return ['Usage: chatx <command> [options]', '', 'Commands:', ...Object.values(commands).map((c) => `  ${c.usage}`)].join('\n');
}

export async function runCli(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    console.log(usage());
    process.exit(name ? 0 : 2);
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`chatx: unknown command "${name}"; run "chatx help" for the list\n`);
    process.exit(2);
  }
  let code: number;
  try {
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
    const config = loadConfig();
    applyTimeZone(config);
    // The CLI speaks for itself; the server's warnings (e.g. the key beside the data) would only repeat it.
    setLogLevel('error');
    code = await command.run(config, values);
  } catch (err) {
    const e = err as Error & { code?: string };
    const known =
      err instanceof UsageError ||
      err instanceof ConfigError ||
      err instanceof AppError ||
      err instanceof DatabaseKeyError ||
      err instanceof DataDirError ||
      err instanceof MigrationError ||
      e.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`chatx ${name}: ${known ? e.message : `failed: ${e.message}`}\n`);
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS'))
      process.stderr.write(`usage: chatx ${command.usage}\n`);
    code = err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
  process.exit(code);
}

if (require.main === module) void runCli(process.argv.slice(2));
