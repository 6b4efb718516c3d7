// YAML (or JSON, a subset) validated by a zod schema, with errors as FILE:LINE:COL: field.path: message.
// Shared by suites, references and site profiles, so it sits below all of them.
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError } from './errors.js';

export type FieldPath = ReadonlyArray<string | number>;

export interface LocatedDocument {
  file: string;
  doc: Document;
  lines: LineCounter;
}

export function parseYaml(text: string, file: string): LocatedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new InputError(
      doc.errors
        .map((e) => {
          const { line, col } = lines.linePos(e.pos[0]);
          return `${file}:${line}:${col}: invalid YAML: ${e.message.split('\n')[0]}`;
        })
        .join('\n'),
    );
  }
  return { file, doc, lines };
}

/** line:col of the node at a path; a missing key is reported at its parent. */
export function locate(d: LocatedDocument, at: FieldPath): string {
  for (let p = [...at]; ; p = p.slice(0, -1)) {
    const node = p.length ? d.doc.getIn(p, true) : d.doc.contents;
    if (isNode(node) && node.range) {
      const { line, col } = d.lines.linePos(node.range[0]);
      return `${line}:${col}`;
    }
    if (p.length === 0) return '1:1';
  }
}

export function fieldPath(p: FieldPath): string {
  return p.length
    ? p
        .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
        .join('')
        .replace(/^\./, '')
    : '(top level)';
}

/** `file:line:col: path: message` for a problem at a path of the document. */
export function problemAt(d: LocatedDocument, at: FieldPath, message: string): string {
  return `${d.file}:${locate(d, at)}: ${fieldPath(at)}: ${message}`;
}

export function issuesText(d: LocatedDocument, issues: z.core.$ZodIssue[], prefix: FieldPath = []): string {
  return issues.map((i) => problemAt(d, [...prefix, ...(i.path as Array<string | number>)], i.message)).join('\n');
}

/** Parses and validates in one step; throws InputError naming every problem. */
export function loadYamlAs<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): { data: z.infer<S>; located: LocatedDocument } {
  const located = parseYaml(text, file);
  const parsed = schema.safeParse(located.doc.toJS());
  if (!parsed.success) throw new InputError(issuesText(located, parsed.error.issues));
  return { data: parsed.data, located };
}
