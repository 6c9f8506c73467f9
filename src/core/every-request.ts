// What every HTTP request gets, on the Express app and on the webhook's fast path alike: a request
// id (echoed as X-Request-Id and named in every error log line), the security headers (a strict
// Content-Security-Policy without inline code, nosniff, no framing, HSTS over https), and a line in
// the debug log when it ends.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { log } from './log';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function everyRequest(options: { https: boolean }): (req: IncomingMessage, res: ServerResponse) => void {
  const { https } = options;
  const headers = helmet({
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
  });
  const noop = () => undefined;
  return (req, res) => {
    // A proxy's id is kept when it looks like one, so a request can be followed across both logs.
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    res.setHeader('X-Request-Id', id);
    headers(req, res, noop);
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
  };
}
