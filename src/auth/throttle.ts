// Sign-in throttling per IP address: at most MAX_FAILURES failed sign-ins in a sliding window.
// (Per-account lockout lives on the user row, so it survives restarts and spans IPs.)
export const IP_MAX_FAILURES = 10;
export const IP_WINDOW_MS = 15 * 60 * 1000;
export const ACCOUNT_MAX_FAILURES = 5;
export const ACCOUNT_LOCK_MS = 15 * 60 * 1000;

export class IpThrottle {
  private failures = new Map<string, number[]>();

  constructor(
    private readonly max = IP_MAX_FAILURES,
    private readonly windowMs = IP_WINDOW_MS,
  ) {}

  private recent(ip: string, now: number): number[] {
    const list = (this.failures.get(ip) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, list);
    return list;
  }

  /** Milliseconds until this IP may try again, or 0 when it may try now. */
  retryAfter(ip: string, now = Date.now()): number {
    const list = this.recent(ip, now);
    return list.length >= this.max ? list[list.length - this.max] + this.windowMs - now : 0;
  }

  fail(ip: string, now = Date.now()): void {
    this.failures.set(ip, [...this.recent(ip, now), now]);
  }

  succeed(ip: string): void {
    this.failures.delete(ip);
  }
}

export function minutes(ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60000));
  return m === 1 ? '1 minute' : `${m} minutes`;
}
