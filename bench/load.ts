// A small HTTP load generator: N concurrent senders over keep-alive connections, each POSTing the
// next prepared request until all are sent. Returns throughput and latency percentiles.
import http from 'node:http';

export interface Prepared {
  path: string;
  body: Buffer;
  headers: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  statuses: Record<string, number>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function runLoad(baseUrl: string, requests: Prepared[], concurrency: number): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;

  const one = (req: Prepared) =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      const r = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: req.path,
          method: 'POST',
          agent,
          headers: { ...req.headers, 'content-length': String(req.body.length) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            if (res.statusCode !== 200) errors++;
            resolve();
          });
        },
      );
      r.on('error', () => {
        errors++;
        resolve();
      });
      r.end(req.body);
    });

  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) await one(requests[next++]);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: requests.length,
    seconds,
    perSecond: requests.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
    errors,
    statuses,
  };
}
