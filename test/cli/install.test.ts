// `npm ci` on a fresh clone prints nothing to worry about: every dependency accepts the Node versions fedbench
// promises (an EBADENGINE warning otherwise), and every install script in the lockfile has been reviewed in
// package.json's allowScripts (npm lists unreviewed ones after every install, and runs none of them).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run-cli.js';

const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface LockedPackage {
  dev?: boolean;
  optional?: boolean;
  engines?: { node?: string };
  hasInstallScript?: boolean;
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};
const locked = Object.entries(lock.packages).filter(([where]) => where !== '');
const nameOf = (where: string) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('npm ci on a fresh clone', () => {
  it('every production dependency runs on the oldest Node that package.json promises', () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version;
    expect(oldest).toBeDefined();
    const refusing = locked
      .filter(([, p]) => !p.dev && p.engines?.node && !semver.satisfies(oldest as string, p.engines.node))
      .map(([where, p]) => `${nameOf(where)} wants node ${p.engines?.node}`);
    expect(refusing).toEqual([]);
  });

  it('every dependency installed here accepts this Node (no EBADENGINE warning)', () => {
    const refusing = locked
      .filter(([, p]) => !p.optional && p.engines?.node && !semver.satisfies(process.versions.node, p.engines.node))
      .map(([where, p]) => `${nameOf(where)} wants node ${p.engines?.node}`);
    expect(refusing).toEqual([]);
  });

  it('every install script is reviewed in allowScripts; only the engines that download their native parts on GPU sites run one', () => {
    const withScripts = [...new Set(locked.filter(([, p]) => p.hasInstallScript).map(([where]) => nameOf(where)))];
    const allowed = pkg.allowScripts ?? {};
    expect(withScripts.filter((name) => !(name in allowed))).toEqual([]);
    expect(
      Object.keys(allowed)
        .filter((name) => allowed[name])
        .sort(),
    ).toEqual(['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node']);
  });
});

describe("packages come through the machine's own package managers", () => {
  // A registry's host written into code or docs bypasses the machine's configured mirrors and proxies (and
  // fails where only those are reachable): fedbench names packages, the package manager finds them.
  const REGISTRY_HOSTS =
    /deb\.debian\.org|security\.debian\.org|snapshot\.debian\.org|registry\.npmjs\.org|pypi\.org|pythonhosted\.org/i;

  it("no tracked file names a package registry's host", () => {
    const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && f !== 'package-lock.json' && !f.startsWith('test/cli/install.test.ts'));
    const naming = files.filter((f) => {
      try {
        return REGISTRY_HOSTS.test(readFileSync(path.join(ROOT, f), 'utf8'));
      } catch {
        return false; // a file listed by git but gone from the work tree
      }
    });
    expect(naming).toEqual([]);
  });
});
