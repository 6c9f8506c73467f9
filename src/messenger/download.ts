// Downloading a customer's file from the URL a webhook gave. The URL comes from a signed body, but
// it is still an address someone else chose, so ChatX fetches only what Meta's CDN serves: https,
// a Meta CDN host (docs/messenger.md, Received attachments), and an address that is public after
// DNS resolution (the connection goes to the very address that was checked, so a DNS answer cannot
// change between the check and the connect). Redirects are followed only to URLs that pass the
// same checks. The one exception is an origin the configuration names on purpose (GRAPH_API_URL
// pointed at a local fake Graph API, for tests): that origin, and nothing else.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Hosts Meta serves Messenger attachments from (and their subdomains). */
export const META_CDN_HOSTS = ['fbcdn.net', 'fbsbx.com', 'facebook.com', 'cdninstagram.com'];
const MAX_REDIRECTS = 3;

const NOT_PUBLIC = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  NOT_PUBLIC.addSubnet(address, prefix, 'ipv6');

/** Whether an IP address is on the public internet (not loopback, private, link-local, …). */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  return !NOT_PUBLIC.check(address, 'ipv6');
}

export class DownloadRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadRefused';
  }
}

export interface DownloadPolicy {
  /** An origin allowed as it is (the configured fake Graph API in tests); undefined: none. */
  trustedOrigin?: string;
}

/** Why this URL may not be fetched, or undefined when it may. */
export function refusal(url: URL, policy: DownloadPolicy): string | undefined {
  if (policy.trustedOrigin && url.origin === policy.trustedOrigin) return undefined;
  if (url.protocol !== 'https:') return 'only https is fetched';
  if (url.username || url.password) return 'a URL with credentials is not fetched';
  const host = url.hostname.toLowerCase();
  if (!META_CDN_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) return `${host} is not a Meta CDN host`;
  return undefined;
}

/** DNS lookup that hands the connection only public addresses. */
export const publicLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(new DownloadRefused(`${hostname} resolves to ${refused.address}, which is not public`), '', 4);
    const first = addresses[0];
    if (!first) return callback(new DownloadRefused(`${hostname} has no address`), '', 4);
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  });
};

export interface Downloaded {
  status: number;
  contentType: string;
  disposition: string | null;
  /** The URL the bytes came from (after redirects). */
  url: URL;
  /** The body, or 'too_large' when it passed `cap` bytes; empty for error statuses. */
  body: Buffer | 'too_large';
}

/**
 * GETs `url` under the policy. Throws DownloadRefused for a URL or address that is not allowed (a
 * final answer), or another Error for network trouble (worth a retry). Aborted by `signal`.
 */
export async function download(
  start: URL,
  policy: DownloadPolicy,
  options: { cap: number; signal: AbortSignal },
): Promise<Downloaded> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const why = refusal(url, policy);
    if (why) throw new DownloadRefused(why);
    const trusted = policy.trustedOrigin === url.origin;
    const res = await get(url, trusted, options.signal);
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new DownloadRefused('too many redirects');
      url = new URL(location, url);
      continue;
    }
    const status = res.statusCode ?? 0;
    const contentType = (String(res.headers['content-type'] ?? 'application/octet-stream').split(';')[0] ?? '').trim();
    const disposition = typeof res.headers['content-disposition'] === 'string' ? res.headers['content-disposition'] : null;
    if (status < 200 || status >= 300) {
      res.resume();
      return { status, contentType, disposition, url, body: Buffer.alloc(0) };
    }
    return { status, contentType, disposition, url, body: await readCapped(res, options.cap) };
  }
}

function get(url: URL, trusted: boolean, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.get(
      url,
      { signal, lookup: trusted ? undefined : publicLookup, headers: { 'user-agent': 'ChatX' } },
      resolve,
    );
    req.on('error', reject);
  });
}

function readCapped(res: http.IncomingMessage, cap: number): Promise<Buffer | 'too_large'> {
  if (Number(res.headers['content-length'] ?? 0) > cap) {
    res.destroy();
    return Promise.resolve('too_large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= cap) return void chunks.push(chunk);
      settle(() => resolve('too_large'));
      res.destroy();
    });
    res.on('end', () => settle(() => resolve(Buffer.concat(chunks))));
    res.on('error', (err) => settle(() => reject(err)));
    res.on('aborted', () => settle(() => reject(new Error('the download was cut off'))));
  });
}
