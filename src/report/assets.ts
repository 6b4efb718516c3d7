// The chart libraries, inlined so the report opens offline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** A package's folder; vega-embed exports neither package.json nor its builds, so go from its CommonJS entry. */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (path.basename(dir) !== name.split('/').pop()) dir = path.dirname(dir);
  return dir;
}

/** Each chart library's package and its browser build, in loading order (the GPU check kit copies these too). */
export const CHART_BUILDS: ReadonlyArray<readonly [string, string]> = [
  ['vega', 'build/vega.min.js'],
  // vega's expression interpreter: charts render under a CSP without 'unsafe-eval'
  ['vega-interpreter', 'build/vega-interpreter.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
];

let cached: string | null = null;

/** vega, its expression interpreter, vega-lite and vega-embed browser builds, as one script body. */
export function chartLibraries(): string {
  cached ??= CHART_BUILDS.map(([pkg, file]) =>
    readFileSync(path.join(packageDir(pkg), file), 'utf8').replace(/<\/script/gi, '<\\/script'),
  ).join('\n;\n');
  return cached;
}

export function chartLibraryVersions(): Record<string, string> {
  return Object.fromEntries(
    CHART_BUILDS.map(([pkg]) => [
      pkg,
      (JSON.parse(readFileSync(path.join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string }).version,
    ]),
  );
}

/** The browser builds as files, for `fedbench serve`, which serves them itself, in loading order. */
export function chartLibraryFiles(): Array<{ name: string; file: string }> {
  return CHART_BUILDS.map(([pkg, file]) => ({ name: path.basename(file), file: path.join(packageDir(pkg), file) }));
}
