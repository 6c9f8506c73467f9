// What every HTTP request gets, on the Express app and on the webhook's fast path alike: a request
// id (echoed as X-Request-Id and named in every error log line), the security headers (a strict
// Content-Security-Policy without inline code, nosniff, no framing, HSTS over https), and a line in
// the debug log when it ends. The headers are worked out once, at start: the webhook's fast path
// sends them with its one writeHead call, thousands of times a second.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { log } from './log';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export interface RequestBasics {
  /** The security headers, the same on every response. */
  readonly headers: Readonly<Record<string, string>>;
  /** Gives a request its id (a proxy's, when it looks like one) and, at debug level, its log line. */
  begin(req: IncomingMessage, res: ServerResponse): string;
}

/** The headers helmet would set, collected once from a response that is never sent. */
function securityHeaders(https: boolean): Record<string, string> {
  const collected: Record<string, string> = {};
  const probe = {
    setHeader: (name: string, value: string | number | string[]) => (collected[name] = String(value)),
    removeHeader: (name: string) => delete collected[name],
    getHeader: (name: string) => collected[name],
  };
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Only over https: on a plain-http LAN this would break every asset.
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600 } : false,
    crossOriginEmbedderPolicy: false,
  })(probe as unknown as IncomingMessage, probe as unknown as ServerResponse, () => undefined);
  return collected;
}

export function requestBasics(options: { https: boolean }): RequestBasics {
  const headers = Object.freeze(securityHeaders(options.https));
  return {
    headers,
    begin(req, res) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
      if (log.enabled('debug')) {
        const started = performance.now();
        res.once('finish', () =>
          log.debug('request', {
            id,
            method: req.method,
            path: (req.url ?? '').split('?')[0],
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          }),
        );
      }
      return id;
    },
  };
}

/** The same, as Express middleware: the headers and the id are set on the response before any route runs. */
export function everyRequest(basics: RequestBasics) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    res.setHeader('X-Request-Id', basics.begin(req, res));
    for (const name in basics.headers) res.setHeader(name, basics.headers[name]);
    next();
  };
}
