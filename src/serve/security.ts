// Who may use the server, and how requests from elsewhere are refused. It launches jobs on supercomputers in the
// user's name, so: an access token made at start (printed once, as Jupyter does) is exchanged for a session cookie
// (HttpOnly, SameSite=Strict); every request without one gets 401. A state-changing request also needs the session's
// CSRF token in `x-csrf-token` and an Origin that is the server's own (or one the centre's proxy is declared as):
// SameSite=Strict already keeps the cookie off cross-site requests, the token and Origin check hold where a browser or
// a proxy does not. Scripts may send `Authorization: Bearer TOKEN` instead (no cookie, so no cross-site risk).
// A hand-written check rather than @fastify/csrf-protection: that plugin wants a session store or signed cookies and
// checks no Origin; this is one token per in-memory session, compared in constant time, plus the Origin rule.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorPage } from './page.js';

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

/** Under TLS: browsers that have seen the server once refuse plain HTTP to it for a year. */
export const HSTS = 'max-age=31536000';

export const newSecret = () => randomBytes(32).toString('base64url');

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Equal strings, compared in time that does not depend on where they differ. */
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export interface Session {
  id: string;
  csrf: string;
  created: number;
  /** Last request made with it: a session unused for SESSION_IDLE_MS ends. */
  used: number;
}

/** A session ends after this long unused, and after SESSION_MAX_MS in any case (the cookie says the same). */
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** Sign-ins beyond this end the least recently used session: the token's holder cannot fill the memory. */
export const MAX_SESSIONS = 1000;

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
  /** The sessions' clock (tests move it); default Date.now. */
  now?: () => number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class Guard {
  /** Sessions by the digest of their id, least recently used first: a lookup is one map access (the digest makes
   *  its timing say nothing of the id), and expired sessions are taken from the front. */
  private readonly sessions = new Map<string, Session>();
  /** The port in the cookie's name: cookies are not kept apart by port, two servers on one host must not clash. */
  cookieName = 'fedbench';
  private readonly now: () => number;
  constructor(private readonly opts: SecurityOptions) {
    this.now = opts.now ?? Date.now;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.used > SESSION_IDLE_MS || now - s.created > SESSION_MAX_MS;
  }

  /** The session of a request's cookie, if any and not expired; using it moves it to the back. */
  private session(req: FastifyRequest): Session | null {
    const id = req.cookies[this.cookieName];
    if (!id) return null;
    const key = digest(id).toString('base64url');
    const s = this.sessions.get(key);
    if (!s) return null;
    this.sessions.delete(key);
    const now = this.now();
    if (this.expired(s, now)) return null;
    s.used = now;
    this.sessions.set(key, s);
    return s;
  }

  private newSession(): Session {
    const now = this.now();
    for (const [key, s] of this.sessions) {
      if (!this.expired(s, now) && this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(key);
    }
    const s = { id: newSecret(), csrf: newSecret(), created: now, used: now };
    this.sessions.set(digest(s.id).toString('base64url'), s);
    return s;
  }

  /** onRequest: authenticate, exchange a token for a cookie, refuse cross-site state changes. */
  async check(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (this.opts.secure) reply.header('strict-transport-security', HSTS);
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
        maxAge: SESSION_MAX_MS / 1000,
      });
      url.searchParams.delete('token');
      const rest = url.searchParams.toString();
      // one leading slash: `//evil.example/` (from `/.//evil.example/`) would send the browser to another site
      return void reply.redirect(`/${url.pathname.replace(/^[/\\]+/, '')}${rest ? `?${rest}` : ''}`, 303);
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

  refuse(req: FastifyRequest, reply: FastifyReply, code: 400 | 401 | 403 | 414, message: string): void {
    reply.code(code).header('cache-control', 'no-store');
    if (wantsHtml(req))
      void reply
        .type('text/html; charset=utf-8')
        .send(
          errorPage(
            code,
            code === 401 ? 'Sign in' : code === 403 ? 'Refused' : 'Bad request',
            message,
            false,
          ).toString(),
        );
    else void reply.send({ error: message });
  }
}

export const wantsHtml = (req: FastifyRequest) =>
  req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Loopback addresses (any spelling: `[::1]`, `0:0::1`, `::ffff:127.0.0.1`): the only binds allowed without TLS
 *  (or --insecure), and the ones where the Host header is checked. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === 'localhost') return true;
  const family = isIP(name);
  // an IPv4-mapped IPv6 address is checked as the IPv4 address it maps (BlockList does so)
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a request's address is refused before any route reads it (null when it is fine): a NUL byte, which no name
 *  holds and the database refuses, or a malformed percent-encoding. */
export function addressProblem(url: string): string | null {
  for (const part of url.split(/[/?&=]/)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return `malformed percent-encoding in the address: ${part.slice(0, 80)}`;
    }
    if (decoded.includes('\0')) return 'a NUL byte in the address';
  }
  return null;
}
