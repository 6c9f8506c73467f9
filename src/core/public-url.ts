// The address that links meant to be pasted elsewhere start with (invitations, password-reset links,
// the Meta callback URLs in Settings): PUBLIC_URL when it is set, else the address of the request
// that rendered them, so a server on another port or behind a name still hands out links that open.
// The data-deletion callback's JSON `url` is not a pasted link: it always uses PUBLIC_URL (contract).
import type { Request } from 'express';
import type { Config } from '../config';

type UrlConfig = Pick<Config, 'publicUrl' | 'publicUrlSet' | 'port' | 'host'>;

/** Protocol and host of the request, as the browser used them (`trust proxy` decides X-Forwarded-Proto). */
export function requestBase(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The base of a link meant to be pasted elsewhere, without a trailing slash. */
export function pastedLinkBase(config: UrlConfig, req: Request): string {
  return config.publicUrlSet ? config.publicUrl : requestBase(req);
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);

/**
 * Why PUBLIC_URL obviously disagrees with the address ChatX listens on, or undefined. Only the plain
 * case is caught: PUBLIC_URL names this machine (localhost, or the HOST bound) on another port. A
 * public name on another port is normal behind a proxy, and is not flagged.
 */
export function publicUrlMismatch(config: UrlConfig, listeningPort = config.port): string | undefined {
  if (!config.publicUrlSet) return undefined;
  const url = new URL(config.publicUrl);
  const local = LOCAL_HOSTS.has(url.hostname) || url.hostname === config.host;
  if (!local) return undefined;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (port === listeningPort) return undefined;
  return `PUBLIC_URL is ${config.publicUrl} but ChatX listens on port ${listeningPort}: invitation links and the Meta callback URLs will not open. Set PUBLIC_URL to the address people use (or unset it) and restart.`;
}

/** For the owner's banner: PUBLIC_URL is set and this request came in under another host. */
export function requestHostDiffers(config: UrlConfig, req: Request): { publicUrl: string; seen: string } | undefined {
  if (!config.publicUrlSet) return undefined;
  const host = req.get('host')?.toLowerCase();
  if (!host || host === new URL(config.publicUrl).host.toLowerCase()) return undefined;
  return { publicUrl: config.publicUrl, seen: requestBase(req) };
}
