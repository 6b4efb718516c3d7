// The OpenSSH executor's bulk transfers as tar streams over one session each: a campaign's files written at once,
// and a tree's listing with its small *.json files read at once (a session costs the remote login shell's start-up).
import path from 'node:path';
import tar from 'tar-stream';
import type { FileToWrite, TreeSnapshot } from './executor.js';

/** The files as one tar archive, named relative to `base`. */
export async function tarOf(files: readonly FileToWrite[], base: string): Promise<Buffer> {
  const pack = tar.pack();
  for (const f of files)
    pack.entry(
      { name: path.posix.relative(base, f.path), mode: f.mode ?? 0o644 },
      typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data,
    );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Run as `sh -c SCRIPT NAME BASE` with the archive on stdin: unpacked into a private folder beside the files, then
 *  each file renamed into place (atomic, as writeFile). */
export const WRITE_FILES_SCRIPT = [
  'mkdir -p -- "$1" && tmp=$(mktemp -d "$1/.fedbench-upload.XXXXXX") || exit 1',
  `trap 'rm -rf -- "$tmp"' EXIT`,
  'tar -x -f - -C "$tmp" --no-same-owner -p || exit 1',
  `cd -- "$tmp" && find . -type f -exec sh -c 'for f; do mkdir -p -- "$0/\${f%/*}" && mv -f -- "$f" "$0/$f" || exit 1; done' "$1" {} +`,
].join('\n');

/** Run as `sh -c SCRIPT NAME DIR MAXBYTES ./SUBDIR…`: the byte count of a NUL-separated listing, the listing, then
 *  a tar archive of the *.json files up to MAXBYTES. Nothing on stdout when DIR does not exist. */
export const READ_TREE_SCRIPT = [
  'cd -- "$1" 2>/dev/null || exit 0',
  'max=$2; shift 2',
  'list=$(mktemp) || exit 1',
  `trap 'rm -f -- "$list"' EXIT`,
  'find "$@" -mindepth 1 -maxdepth 2 -printf "%y %s %p\\0" 2>/dev/null >"$list"',
  'wc -c <"$list" && cat -- "$list" || exit 1',
  'find "$@" -mindepth 1 -maxdepth 2 -type f -name "*.json" -size -$((max + 1))c -print0 2>/dev/null | tar --null -T - -c -f -',
].join('\n');

/** What READ_TREE_SCRIPT printed, as a snapshot (empty when the folder does not exist). */
export async function treeSnapshot(stdout: Buffer): Promise<TreeSnapshot> {
  const snap: TreeSnapshot = { entries: new Map(), contents: new Map() };
  if (!stdout.length) return snap; // no such folder
  const nl = stdout.indexOf(0x0a);
  const n = Number(stdout.subarray(0, nl).toString('latin1').trim());
  const clean = (p: string) => p.replace(/^\.\//, '');
  for (const item of stdout
    .subarray(nl + 1, nl + 1 + n)
    .toString('utf8')
    .split('\0')
    .filter(Boolean)) {
    const [type, size] = item.split(' ', 2) as [string, string];
    const rel = clean(item.slice(type.length + size.length + 2));
    const parent = path.posix.dirname(rel);
    const list = snap.entries.get(parent) ?? [];
    list.push({
      name: path.posix.basename(rel),
      size: Number(size),
      kind: type === 'f' ? 'file' : type === 'd' ? 'dir' : 'other',
    });
    snap.entries.set(parent, list);
  }
  const extract = tar.extract();
  extract.end(stdout.subarray(nl + 1 + n));
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    snap.contents.set(clean(entry.header.name), Buffer.concat(chunks));
  }
  return snap;
}

/** The deepest folder that holds every one of these absolute paths. */
export function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => path.posix.dirname(p).split('/'));
  const first = split[0]!;
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/') || '/';
}
