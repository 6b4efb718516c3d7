// Who may use the server, and how requests from elsewhere are refused. It launches jobs on supercomputers in the
// user's name, so: an access token made at start (printed once, as Jupyter does) is exchanged for a session cookie
// (HttpOnly, SameSite=Strict); every request without one gets 401. A state-changing request also needs the session's
// CSRF token in `x-csrf-token` and an Origin that is the server's own (or one the centre's proxy is declared as):
// SameSite=Strict already keeps the cookie off cross-site requests, the token and Origin check hold where a browser or
// a proxy does not. Scripts may send `Authorization: Bearer TOKEN` instead (no cookie, so no cross-site risk).
// A hand-written check rather than @fastify/csrf-protection: that plugin wants a session store or signed cookies and
// checks no Origin; this is one token per in-memory session, compared in constant time, plus the Origin rule.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Headers on every answer, 401s included. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export const newSecret = () => randomBytes(32).toString('base64url');

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Equal strings, compared in time that does not depend on where they differ. */
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export interface Session {
  id: string;
  csrf: string;
  created: number;
}

export type Auth = { kind: 'cookie'; session: Session } | { kind: 'bearer' };

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

export interface SecurityOptions {
  token: string;
  secure: boolean;
  /** Origins besides the request's own Host that may send state-changing requests (a reverse proxy's public URL). */
  allowedOrigins: readonly string[];
  /** Bound to a loopback address: only loopback names (and the allowed origins' hosts) are valid Host headers. */
  loopback?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class Guard {
  private readonly sessions = new Map<string, Session>();
  /** The port in the cookie's name: cookies are not kept apart by port, two servers on one host must not clash. */
  cookieName = 'fedbench';
  constructor(private readonly opts: SecurityOptions) {}

  /** The session of a request's cookie, if any. */
  private session(req: FastifyRequest): Session | null {
    const id = req.cookies[this.cookieName];
    if (!id) return null;
    for (const s of this.sessions.values()) if (sameSecret(s.id, id)) return s;
    return null;
  }

  private newSession(): Session {
    const s = { id: newSecret(), csrf: newSecret(), created: Date.now() };
    this.sessions.set(s.id, s);
    return s;
  }

  /** onRequest: authenticate, exchange a token for a cookie, refuse cross-site state changes. */
  async check(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    req.auth = null;
    // DNS rebinding: a page from another site whose name now resolves to 127.0.0.1 sends its own name as Host
    if (this.opts.loopback && !this.hostAllowed(req.headers.host))
      return this.refuse(req, reply, 403, `refused: Host ${req.headers.host ?? '(none)'} is not this server's address`);
    const url = new URL(req.url, 'http://x');
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!sameSecret(given, this.opts.token)) return this.refuse(req, reply, 401, 'wrong access token');
      // the token leaves the address bar (history, Referer) at once: the cookie carries the session from here
      const s = this.newSession();
      reply.setCookie(this.cookieName, s.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: this.opts.secure,
      });
      url.searchParams.delete('token');
      const rest = url.searchParams.toString();
      return void reply.redirect(`${url.pathname}${rest ? `?${rest}` : ''}`, 303);
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) {
      if (!sameSecret(bearer, this.opts.token)) return this.refuse(req, reply, 401, 'wrong access token');
      req.auth = { kind: 'bearer' };
      return;
    }
    const session = this.session(req);
    if (!session)
      return this.refuse(
        req,
        reply,
        401,
        'not signed in: open the address with the token that `fedbench serve` printed (…/?token=…)',
      );
    req.auth = { kind: 'cookie', session };
    if (SAFE_METHODS.has(req.method)) return;
    const why = this.crossSite(req, session);
    if (why) return this.refuse(req, reply, 403, why);
  }

  private hostAllowed(header: string | undefined): boolean {
    if (!header) return false;
    let name: string;
    try {
      name = new URL(`http://${header}`).hostname;
    } catch {
      return false;
    }
    if (isLoopback(name)) return true;
    return this.opts.allowedOrigins.some((o) => {
      try {
        return new URL(o).host === header;
      } catch {
        return false;
      }
    });
  }

  /** Why a state-changing cookie request is not from this server's own pages, or null. */
  private crossSite(req: FastifyRequest, s: Session): string | null {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return `refused: a ${site} request`;
    const origin = req.headers.origin;
    if (!origin) return 'refused: no Origin header on a state-changing request';
    const own = `${this.opts.secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    if (origin !== own && !this.opts.allowedOrigins.includes(origin)) return `refused: Origin ${origin} is not ${own}`;
    const token = req.headers['x-csrf-token'];
    if (typeof token !== 'string' || !sameSecret(token, s.csrf)) return 'refused: missing or wrong x-csrf-token';
    return null;
  }

  private refuse(req: FastifyRequest, reply: FastifyReply, code: 401 | 403, message: string): void {
    reply.code(code).header('cache-control', 'no-store');
    if (wantsHtml(req))
      void reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fedbench: ${code}</title></head><body><h1>${code === 401 ? 'Sign in' : 'Refused'}</h1><p>${escapeText(message)}</p></body></html>`,
        );
    else void reply.send({ error: message });
  }
}

export const wantsHtml = (req: FastifyRequest) =>
  req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

const escapeText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Loopback addresses: the only binds allowed without TLS (or --insecure). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
