// One logger for the whole process: one line per event, `time level message key=value…`.
// Fields whose name looks like a secret are masked, so a token can never reach the log by accident.
import type { LogLevel } from '../config';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /secret|token|password|passphrase|key$/i;

let threshold = LEVELS.info;
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** Tests capture or silence the log through this. */
export function setLogSink(next: (line: string) => void): void {
  sink = next;
}

function format(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? 'undefined';
}

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v === undefined) continue;
    line += ` ${k}=${SECRET_FIELD.test(k) ? '(masked)' : format(v)}`;
  }
  sink(line);
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
  /** Whether a level is logged at all: skip building what would be thrown away. */
  enabled: (level: LogLevel) => LEVELS[level] >= threshold,
};
