// Share: the current results view as the self-contained HTML report (for procurement files), CSV (one row per
// record), Markdown or JSON (the model), from the same selection and model as the results page; `redact=1` replaces
// what must not leave the centre by labels in the records before anything is rendered (as `report --redact`).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { EXPORTERS, EXPORT_NAMES } from '../../report/index.js';
import { parseOr400, type ServeContext } from '../context.js';
import { select, selectionSchema } from './results.js';

const exportQuery = selectionSchema.extend({
  format: z.enum(EXPORT_NAMES),
  redact: z.enum(['0', '1']).optional(),
  title: z.string().max(200).optional(),
});

export function registerExport(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/export', async (req, reply) => {
    const q = parseOr400(exportQuery, req.query, 'query');
    if (q.campaign.length + q.site.length + q.bench.length === 0)
      throw new InputError('choose campaigns, sites or a workload to export');
    const { body } = await select(ctx, q, q.title ?? 'fedbench report', q.format, q.redact === '1');
    const exporter = EXPORTERS[q.format];
    const stamp = new Date().toISOString().slice(0, 10);
    return reply
      .type(exporter.contentType)
      .header('content-disposition', `attachment; filename="fedbench-${stamp}.${exporter.name}"`)
      .header('cache-control', 'no-store')
      .send(body); // rendered by the exporter on a worker thread (select)
  });
}
