// What every router and job is built with. server.ts makes one; tests make their own.
import type { Config } from './config';
import type { Db } from './core/db';
import type { DatabaseKey } from './core/key';

export interface Deps {
  config: Config;
  db: Db;
  databaseKey: DatabaseKey;
}
