// One executor (one SSH connection) per site for the whole command, opened on first use.
import { executorFor, type Site } from '../sites/index.js';
import type { Executor, ExecutorStats } from '../remote/index.js';

export class SitePool {
  private readonly open = new Map<string, Executor>();
  constructor(private readonly make: (site: Site) => Executor = executorFor) {}

  get(site: Site): Executor {
    let ex = this.open.get(site.name);
    if (!ex) {
      ex = this.make(site);
      this.open.set(site.name, ex);
    }
    return ex;
  }

  stats(): Record<string, ExecutorStats> {
    return Object.fromEntries([...this.open].map(([k, ex]) => [k, { ...ex.stats }]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((ex) => ex.close().catch(() => undefined)));
    this.open.clear();
  }
}
