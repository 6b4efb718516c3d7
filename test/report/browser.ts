/// <reference lib="dom" />
// Opens a report in Debian's Chromium (playwright-core drives it; no browser download) with the network
// off, and collects what a reader would see.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface PageCheck {
  errors: string[];
  dialogs: string[];
  requests: string[];
  charts: Array<{ id: string; rendered: string | null; width: number; height: number }>;
  text: string;
}

export async function openReport(browser: Browser, file: string, screenshot?: string): Promise<PageCheck> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const out: PageCheck = { errors: [], dialogs: [], requests: [], charts: [], text: '' };
  page.on('console', (m) => m.type() === 'error' && out.errors.push(m.text()));
  page.on('pageerror', (e) => out.errors.push(e.message));
  page.on('dialog', (d) => {
    out.dialogs.push(d.message());
    void d.dismiss();
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    out.requests.push(url);
    return route.abort();
  });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => document.body.dataset['charts'] === 'done', undefined, { timeout: 60_000 });
  out.charts = await page.$$eval('[data-spec]', (els) =>
    els.map((el) => {
      const svg = el.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return {
        id: (el as HTMLElement).dataset['spec'] ?? '',
        rendered: (el as HTMLElement).dataset['rendered'] ?? null,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
      };
    }),
  );
  out.text = await page.innerText('body');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return out;
}
