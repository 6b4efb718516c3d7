// Every file the pages load, served by fedbench itself (works offline; the CSP allows nothing else): the style
// sheet (the report's own, plus the screens'), the page script (src/serve/client, compiled by the build) and the
// chart libraries from their packages. Names are a fixed list: nothing from a request reaches the file system.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chartLibraryFiles, REPORT_CSS } from '../report/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The compiled page script: beside this module in dist, or in dist when this runs from the sources (tests). */
function clientFile(): string {
  for (const f of [path.join(HERE, 'client', 'app.js'), path.resolve(HERE, '../../dist/serve/client/app.js')])
    if (existsSync(f)) return f;
  throw new Error("the page script is not built: run 'npm run build'");
}

const SCREEN_CSS = `
.skip{position:absolute;left:-999px}.skip:focus{left:1em;top:1em;background:#fff;padding:.3em;z-index:9}
header nav{display:flex;flex-wrap:wrap;gap:.2em 1.2em;align-items:baseline;border-bottom:2px solid #ddd;padding-bottom:.4em}
header nav .brand{font-weight:700;margin-right:1em}header nav a[aria-current=page]{font-weight:700;text-decoration:none;color:#222}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #1565c0;outline-offset:1px}
form.filters{display:flex;flex-wrap:wrap;gap:.8em 1.4em;align-items:flex-end;background:#f7f7f7;padding:.8em;border:1px solid #ddd;margin:1em 0}
.field{display:flex;flex-direction:column;gap:.2em}.field small{color:#555}fieldset{border:1px solid #ccc}
button{font:inherit;padding:.3em .9em;cursor:pointer}button[disabled]{cursor:default;opacity:.6}
caption{text-align:left;font-weight:600;padding:.2em 0}
pre.script{background:#f4f4f4;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:28em;font-size:12px}
.phase-pending{color:#6d4c41}.phase-running{color:#1565c0}.phase-ended{color:#6a1b9a}.phase-collected{color:#2e7d32}
.problem{color:#c62828}.ok{color:#2e7d32}.busy::after{content:" …"}
tr.straggler td{background:#ffebee}
.weights input[type=range]{width:8em}
#vg-tooltip-element{visibility:hidden;padding:8px;position:fixed;z-index:1000;font:11px sans-serif;border-radius:3px;box-shadow:2px 2px 4px rgba(0,0,0,.1);background:rgba(255,255,255,.95);border:1px solid #d9d9d9;color:#000}
#vg-tooltip-element.visible{visibility:visible}#vg-tooltip-element h2{margin:0 0 10px;font-size:13px}
#vg-tooltip-element table{border-spacing:0}#vg-tooltip-element td{overflow:hidden;text-overflow:ellipsis;padding:2px 0;border:none}
#vg-tooltip-element td.key{color:#808080;max-width:150px;text-align:right;padding-right:4px}#vg-tooltip-element td.value{display:block;max-width:300px;max-height:7em;text-align:left}
`;

interface Asset {
  type: string;
  body: () => Buffer;
}

function once(read: () => Buffer): () => Buffer {
  let cached: Buffer | null = null;
  return () => (cached ??= read());
}

export function registerAssets(app: FastifyInstance): void {
  const assets = new Map<string, Asset>([
    ['app.css', { type: 'text/css; charset=utf-8', body: once(() => Buffer.from(REPORT_CSS + SCREEN_CSS)) }],
    // read on each request outside a build's dist (tests rebuild it); cached in an installed fedbench
    ['app.js', { type: 'text/javascript; charset=utf-8', body: () => readFileSync(clientFile()) }],
    ...chartLibraryFiles().map(({ name, file }): [string, Asset] => [
      name,
      { type: 'text/javascript; charset=utf-8', body: once(() => readFileSync(file)) },
    ]),
  ]);
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const a = assets.get(req.params.name);
    if (!a) return reply.code(404).send({ error: 'no such asset' });
    return reply.type(a.type).header('cache-control', 'private, max-age=3600').send(a.body());
  });
}
