// Small things every route uses.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../errors.js';
import type { SafeHtml } from '../../report/index.js';
import { parseWeights, type Weights, DEFAULT_WEIGHTS, CRITERIA } from '../../analysis/index.js';

/** The CSRF token a page hands its script (a bearer request has none: it needs none). */
export const csrfOf = (req: FastifyRequest) => (req.auth?.kind === 'cookie' ? req.auth.session.csrf : '');

export function sendPage(reply: FastifyReply, markup: SafeHtml): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(markup.toString());
}

/** `weights=time=1,energy=0.5`, or one field per criterion (`w_time=1`, the form without script); else the defaults. */
export function weightsFrom(q: Record<string, unknown>): Weights {
  const text = typeof q['weights'] === 'string' ? q['weights'] : '';
  const fields = CRITERIA.filter((c) => typeof q[`w_${c}`] === 'string' && q[`w_${c}`] !== '').map(
    (c) => `${c}=${String(q[`w_${c}`])}`,
  );
  const spec = text || fields.join(',');
  if (!spec) return DEFAULT_WEIGHTS;
  try {
    return parseWeights(spec);
  } catch (err) {
    throw new InputError(`weights: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const weightsText = (w: Weights) =>
  Object.entries(w)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
