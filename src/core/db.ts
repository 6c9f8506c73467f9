// The SQLCipher database behind a six-method promise wrapper: all, get, run, exec, transaction, close
// (and reopen, for a new key or a swapped file). A Db is one connection; the server has two (this
// one, and the webhook's writer thread's, in WAL mode). Because every statement on a connection
// joins whatever transaction is open on it, all work on a Db goes through one queue: a transaction
// holds the queue from BEGIN to COMMIT, so two requests can never interleave statements inside one.
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
  // Prepared statements are kept per SQL text: parsing the same SQL again for every webhook event
  // costs more than running it. Bounded, so string-built SQL (IN lists) cannot grow it forever.
  private statements = new Map<string, sqlcipher.Statement>();

  constructor(readonly raw: sqlcipher.Database) {}

  private preparing = new Map<string, Promise<sqlcipher.Statement>>();

  private statement(sql: string): Promise<sqlcipher.Statement> {
    const cached = this.statements.get(sql);
    if (cached) return Promise.resolve(cached);
    const inFlight = this.preparing.get(sql);
    if (inFlight) return inFlight;
    const prepared = new Promise<sqlcipher.Statement>((resolve, reject) => {
      const stmt: sqlcipher.Statement = this.raw.prepare(sql, (err: Error | null) => {
        this.preparing.delete(sql);
        if (err) return reject(err);
        if (this.statements.size >= 500) {
          const [oldest, old] = this.statements.entries().next().value as [string, sqlcipher.Statement];
          this.statements.delete(oldest);
          old.finalize();
        }
        this.statements.set(sql, stmt);
        resolve(stmt);
      });
    });
    this.preparing.set(sql, prepared);
    return prepared;
  }

  async all<T>(sql: string, params?: Params): Promise<T[]> {
    const stmt = await this.statement(sql);
    return new Promise((resolve, reject) =>
      stmt.all(bind(params), (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))),
    );
  }

  async get<T>(sql: string, params?: Params): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
    return rows[0];
  }

  async run(sql: string, params?: Params): Promise<RunResult> {
    const stmt = await this.statement(sql);
    return new Promise((resolve, reject) =>
      stmt.run(bind(params), function (this: RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve())));
  }

  /** Finalizes the prepared statements (a connection with live ones cannot close), then closes. */
  async close(): Promise<void> {
    const all = [...this.statements.values()];
    this.statements.clear();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
    await new Promise<void>((resolve, reject) => this.raw.close((err: Error | null) => (err ? reject(err) : resolve())));
  }
}

export class Db implements Queryable {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private conn: Connection,
    readonly file: string,
    private passphrase: string,
  ) {}

  /** Opens (or creates) the encrypted file; see connect. */
  static async open(file: string, passphrase: string): Promise<Db> {
    return new Db(await Db.connect(file, passphrase), file, passphrase);
  }

  /**
   * A connection to the encrypted file. The key is checked by reading the schema right after
   * PRAGMA key, before anything writes: a wrong key fails with "file is not a database" (SQLITE_NOTADB)
   * and the file is left exactly as it was (docs/sqlcipher.md, Opening a database with a key).
   */
  private static async connect(file: string, passphrase: string): Promise<Connection> {
    const raw = await new Promise<sqlcipher.Database>((resolve, reject) => {
      const db: sqlcipher.Database = new sqlcipher.Database(file, (err: Error | null) => (err ? reject(err) : resolve(db)));
    });
    // Statements run strictly in the order they are issued, even when a caller does not wait for
    // one before issuing the next (the webhook ingest pipelines its writes).
    raw.serialize();
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
    // Another connection (the writer thread, the CLI) may hold the write lock briefly: wait for it.
    await conn.exec('PRAGMA busy_timeout = 5000');
    // In WAL mode NORMAL never corrupts and survives a process crash; only a power cut can roll back
    // the newest commits. FULL would cost an fsync per webhook.
    await conn.exec('PRAGMA synchronous = NORMAL');
    // Deleted rows are overwritten with zeros, so erased customer data does not linger in free pages.
    await conn.exec('PRAGMA secure_delete = ON');
    // Sorts and temporary indexes stay in memory instead of temp files.
    await conn.exec('PRAGMA temp_store = MEMORY');
    // Every page read from disk must be decrypted and its HMAC checked, so a larger page cache
    // (32 MiB instead of 2 MiB; filled only as pages are used) saves most of that work.
    await conn.exec('PRAGMA cache_size = -32768');
    // After a burst the WAL file is cut back to 64 MiB once it has been checkpointed.
    await conn.exec('PRAGMA journal_size_limit = 67108864');
    return conn;
  }

  /**
   * Closes the connection once the statements before have run, runs `between` while the file is
   * free (swap it, delete it), and opens it again with `passphrase`. Statements issued meanwhile
   * wait and then run on the new connection. If `between` fails, or the passphrase does not open the
   * file, the old passphrase is used again and the error is thrown: never a half-open database.
   */
  reopen(passphrase: string, between?: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      await this.conn.close();
      try {
        await between?.();
        this.conn = await Db.connect(this.file, passphrase);
        this.passphrase = passphrase;
      } catch (err) {
        this.conn = await Db.connect(this.file, this.passphrase);
        throw err;
      }
    });
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
    await this.conn.close();
  }
}
