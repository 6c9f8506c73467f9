// The SQLCipher database behind a six-method promise wrapper: all, get, run, exec, transaction, close.
// There is one connection per process. Because every statement on a connection joins whatever
// transaction is open on it, all work goes through one queue: a transaction holds the queue from
// BEGIN to COMMIT, so two requests can never interleave statements inside one transaction.
import sqlcipher from '@journeyapps/sqlcipher';

export type Param = string | number | bigint | boolean | null | Buffer | undefined;
export type Params = Param[] | Record<string, Param>;

export interface RunResult {
  changes: number;
  lastID: number;
}

/** What both the database and an open transaction can do. */
export interface Queryable {
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  run(sql: string, params?: Params): Promise<RunResult>;
  exec(sql: string): Promise<void>;
}

export class DatabaseKeyError extends Error {
  constructor(file: string) {
    super(`the database key does not open ${file}`);
    this.name = 'DatabaseKeyError';
  }
}

/** Quotes a passphrase as an SQL string literal for PRAGMA key (which takes no bound parameters). */
export function keyLiteral(passphrase: string): string {
  if (passphrase === '') throw new Error('the database key is empty');
  return `'${passphrase.replace(/'/g, "''")}'`;
}

function bind(params?: Params): unknown[] | Record<string, unknown> {
  if (params === undefined) return [];
  const convert = (v: Param) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v);
  if (Array.isArray(params)) return params.map(convert);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k.startsWith('$') ? k : `$${k}`, convert(v)]));
}

class Connection implements Queryable {
  constructor(readonly raw: sqlcipher.Database) {}

  all<T>(sql: string, params?: Params): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.raw.all(sql, bind(params), (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))),
    );
  }

  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return new Promise((resolve, reject) =>
      this.raw.get(sql, bind(params), (err: Error | null, row: T) => (err ? reject(err) : resolve(row))),
    );
  }

  run(sql: string, params?: Params): Promise<RunResult> {
    return new Promise((resolve, reject) =>
      this.raw.run(sql, bind(params), function (this: RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
  }
}

export class Db implements Queryable {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly conn: Connection,
    readonly file: string,
  ) {}

  /**
   * Opens (or creates) the encrypted file. The key is checked by reading the schema right after
   * PRAGMA key, before anything writes: a wrong key fails with "file is not a database" (SQLITE_NOTADB)
   * and the file is left exactly as it was (see PROTOCOL.md §I).
   */
  static async open(file: string, passphrase: string): Promise<Db> {
    const raw = await new Promise<sqlcipher.Database>((resolve, reject) => {
      const db: sqlcipher.Database = new sqlcipher.Database(file, (err: Error | null) => (err ? reject(err) : resolve(db)));
    });
    const conn = new Connection(raw);
    try {
      // SQLCipher logs decryption failures to stderr itself; we report a wrong key in one line of our own.
      await conn.exec('PRAGMA cipher_log_level = NONE');
      await conn.exec(`PRAGMA key = ${keyLiteral(passphrase)}`);
      await conn.get('SELECT count(*) AS n FROM sqlite_master');
    } catch (err) {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new DatabaseKeyError(file);
      throw err;
    }
    // Each PRAGMA below is per connection, so it is set on every open.
    // WAL: readers never block the writer, and a crash mid-write leaves the last commit intact.
    await conn.get('PRAGMA journal_mode = WAL');
    // SQLite ships with foreign keys off; cascades (a deleted contact takes its messages) need them on.
    await conn.exec('PRAGMA foreign_keys = ON');
    // The CLI (backup, rekey, doctor) may hold the file briefly: wait for it instead of failing.
    await conn.exec('PRAGMA busy_timeout = 5000');
    // In WAL mode NORMAL never corrupts and survives a process crash; only a power cut can roll back
    // the newest commits. FULL would cost an fsync per webhook.
    await conn.exec('PRAGMA synchronous = NORMAL');
    // Deleted rows are overwritten with zeros, so erased customer data does not linger in free pages.
    await conn.exec('PRAGMA secure_delete = ON');
    // Sorts and temporary indexes stay in memory instead of temp files.
    await conn.exec('PRAGMA temp_store = MEMORY');
    return new Db(conn, file);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    return this.enqueue(() => this.conn.all<T>(sql, params));
  }

  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined> {
    return this.enqueue(() => this.conn.get<T>(sql, params));
  }

  run(sql: string, params?: Params): Promise<RunResult> {
    return this.enqueue(() => this.conn.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.enqueue(() => this.conn.exec(sql));
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT, holding the queue throughout; any throw rolls back.
   * IMMEDIATE takes the write lock up front, so another process (the CLI) waits on busy_timeout
   * instead of failing half-way.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await this.conn.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.conn);
        await this.conn.exec('COMMIT');
        return result;
      } catch (err) {
        await this.conn.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Waits for queued work, then closes. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    const drained = this.queue;
    this.closed = true;
    await drained.catch(() => undefined);
    await new Promise<void>((resolve, reject) => this.conn.raw.close((err: Error | null) => (err ? reject(err) : resolve())));
  }
}
