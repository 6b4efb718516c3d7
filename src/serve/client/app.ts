/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page script of `fedbench serve` (served as /assets/app.js; the CSP allows no other). Progressive enhancement:
// every page is complete HTML from the server; this draws the charts (vega-embed with vega's expression
// interpreter: no eval), sends state-changing requests with the session's CSRF token, follows a campaign's events,
// and re-requests the ranking when a weight moves. Text from the server goes into the page as text (textContent),
// never as markup, except the server's own rendered sections (escaped there).

type Json = Record<string, unknown>;
type Embed = (el: Element, spec: unknown, opts: Json) => Promise<unknown>;

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

async function post(url: string, body: unknown): Promise<Response> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = String(((await res.json()) as Json).error ?? message);
    } catch {
      /* not JSON */
    }
    throw new Error(message);
  }
  return res;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const errorOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function drawChart(div: HTMLElement, embed: Embed | undefined): Promise<void> {
  if (div.dataset['rendered']) return;
  div.dataset['rendered'] = 'drawing';
  try {
    if (!embed) throw new Error('chart library not loaded');
    const text = document.getElementById(div.dataset['spec'] ?? '')?.textContent ?? 'null';
    const spec = JSON.parse(text);
    await embed(div, spec, {
      // thousands of marks draw several times faster on a canvas than as SVG elements
      renderer: text.length > 200_000 ? 'canvas' : 'svg',
      actions: false,
      ast: true,
      defaultStyle: false,
      // the tooltip's style sheet is in app.css: an injected <style> is not allowed by the CSP
      tooltip: { disableDefaultStyle: true },
    });
    div.dataset['rendered'] = 'true';
    div.setAttribute('role', 'img');
    const title = (spec as { title?: { text?: string } | string })?.title;
    div.setAttribute('aria-label', typeof title === 'string' ? title : (title?.text ?? 'chart'));
  } catch (err) {
    div.dataset['rendered'] = 'error';
    div.textContent = `chart could not be drawn: ${errorOf(err)}`;
    console.error(err);
  }
}

const inView = (e: Element) => {
  const r = e.getBoundingClientRect();
  return r.bottom >= 0 && r.top <= window.innerHeight;
};

/**
 * The charts in view first (the page is usable once they are: data-charts=visible), then the others one by one,
 * yielding between them so scrolling and typing stay responsive (data-charts=done).
 */
async function drawCharts(root: ParentNode): Promise<void> {
  const embed = (window as unknown as { vegaEmbed?: Embed }).vegaEmbed;
  const all = [...root.querySelectorAll<HTMLElement>('[data-spec]')];
  const first = all.filter(inView);
  for (const div of first) await drawChart(div, embed);
  if (root === document) {
    document.body.dataset['charts'] = 'visible';
    document.body.dataset['visibleAt'] = performance.now().toFixed(0);
  }
  for (const div of all) {
    if (div.dataset['rendered']) continue;
    await new Promise((resolve) => window.setTimeout(resolve, 0));
    await drawChart(div, embed);
  }
}

function siteChecks(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-check]')) {
    button.addEventListener('click', async () => {
      const name = button.dataset['check'] ?? '';
      const out = document.getElementById(`check-${name}`);
      if (!out) return;
      button.disabled = true;
      out.replaceChildren(el('span', 'checking', 'busy'));
      try {
        const c = (await (await post(`/api/sites/${encodeURIComponent(name)}/check`, {})).json()) as {
          ok: boolean;
          connectMs: number | null;
          partition: { name: string; state: string; nodes: number; gres: string } | null;
          maxArraySize: number | null;
          fedbench: string | null;
          auth: { method?: string; certificate?: { validFrom?: string; validTo?: string } | null } | null;
          problems: string[];
          warnings: string[];
        };
        const lines = [
          el('strong', c.ok ? 'OK' : 'FAIL', c.ok ? 'ok' : 'problem'),
          el('div', c.connectMs === null ? 'not connected' : `connected in ${c.connectMs} ms`),
        ];
        if (c.partition)
          lines.push(
            el(
              'div',
              `partition ${c.partition.name}: ${c.partition.state}, ${c.partition.nodes} node(s), ${c.partition.gres || 'no gres'}`,
            ),
          );
        if (c.maxArraySize !== null) lines.push(el('div', `MaxArraySize ${c.maxArraySize}`));
        if (c.fedbench) lines.push(el('div', `fedbench ${c.fedbench}`));
        const cert = c.auth?.certificate;
        if (cert) lines.push(el('div', `certificate valid ${cert.validFrom ?? '?'} – ${cert.validTo ?? '?'}`));
        for (const w of c.warnings) lines.push(el('div', `warning: ${w}`));
        for (const p of c.problems) lines.push(el('div', p, 'problem'));
        out.replaceChildren(...lines);
      } catch (err) {
        out.replaceChildren(el('span', errorOf(err), 'problem'));
      } finally {
        button.disabled = false;
      }
    });
  }
}

/** The campaign page's cancel button: asks once, then cancels through the API; the progress events show the rest. */
function cancelButton(): void {
  const button = document.querySelector<HTMLButtonElement>('button[data-action="cancel"]');
  if (!button) return;
  const status = document.getElementById('cancel-status')!;
  button.addEventListener('click', async () => {
    const name = button.dataset['campaign'] ?? '';
    if (!window.confirm(`Cancel campaign ${name} at every site? Its pending and running jobs are stopped.`)) return;
    button.disabled = true;
    status.textContent = 'Cancelling…';
    try {
      const r = (await (await post(`/api/campaigns/${encodeURIComponent(name)}/cancel`, {})).json()) as {
        sites: Array<{ site: string; cancelledJobs: string[]; neverSubmitted: number; error: string | null }>;
      };
      status.textContent = r.sites
        .map((s) =>
          s.error
            ? s.error
            : `${s.site}: ${s.cancelledJobs.length ? `job(s) ${s.cancelledJobs.join(', ')} cancelled` : 'nothing queued or running'}`,
        )
        .join('; ');
    } catch (err) {
      status.textContent = errorOf(err);
      status.className = 'problem';
      button.disabled = false;
    }
  });
}

function launchForm(): void {
  const form = document.querySelector<HTMLFormElement>('form#launch');
  if (!form) return;
  const status = document.getElementById('launch-status')!;
  const scripts = document.getElementById('scripts')!;
  const launchButton = form.querySelector<HTMLButtonElement>('button[data-action="launch"]')!;
  const request = (): Json => {
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const body: Json = {
      suite: text('suite'),
      sites: data.getAll('sites').map(String),
      eachNode: data.get('eachNode') !== null,
      wholeNode: data.get('wholeNode') !== null,
      nodePairs: data.get('nodePairs') !== null,
    };
    const bench = text('bench')
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (bench.length) body['bench'] = bench;
    if (text('timeLimit')) body['timeLimit'] = text('timeLimit');
    if (text('campaign')) body['campaign'] = text('campaign');
    return body;
  };
  let confirmed: string | null = null;
  // any change after the scripts were shown needs a new look at them
  form.addEventListener('input', () => {
    confirmed = null;
    launchButton.disabled = true;
  });
  form.querySelector('button[data-action="dry-run"]')!.addEventListener('click', async () => {
    status.textContent = 'Rendering the job scripts…';
    scripts.replaceChildren();
    launchButton.disabled = true;
    try {
      const body = request();
      const r = (await (await post('/api/campaigns/dry-run', body)).json()) as {
        campaign: string;
        cases: number;
        scripts: Array<{ site: string; path: string; text: string }>;
        errors: Array<{ site: string; message: string }>;
      };
      for (const s of r.scripts) {
        scripts.append(el('h3', `${s.site}: ${s.path}`), el('pre', s.text, 'script'));
      }
      for (const e of r.errors) scripts.append(el('p', e.message, 'problem'));
      status.textContent = `Campaign ${r.campaign}: ${r.cases} case(s), ${r.scripts.length} job script(s). Check them, then launch.`;
      if (r.scripts.length && !r.errors.length) {
        confirmed = JSON.stringify({ ...body, campaign: r.campaign });
        launchButton.disabled = false;
        launchButton.focus();
      }
    } catch (err) {
      status.textContent = errorOf(err);
      status.className = 'problem';
    }
  });
  launchButton.addEventListener('click', async () => {
    if (!confirmed) return;
    launchButton.disabled = true;
    status.textContent = 'Submitting…';
    try {
      const r = (await (await post('/api/campaigns', JSON.parse(confirmed))).json()) as {
        url: string;
        errors: Array<{ message: string }>;
      };
      if (r.errors.length) status.textContent = r.errors.map((e) => e.message).join('\n');
      window.location.assign(r.url);
    } catch (err) {
      status.textContent = errorOf(err);
      status.className = 'problem';
    }
  });
}

interface TaskView {
  key: string;
  cases: string[];
  state: string;
  phase: string;
  node: string | null;
  reason: string | null;
  records: number;
}
interface CampaignView {
  campaign: string;
  seq: number;
  at: string;
  complete: boolean;
  problems: string[];
  sites: Array<{ site: string; error: string | null; tasks: TaskView[]; counts: Record<string, number> }>;
}

function renderProgress(root: HTMLElement, v: CampaignView): void {
  const parts: HTMLElement[] = [
    el(
      'p',
      v.complete
        ? 'Complete: every task collected.'
        : `Following (event ${v.seq}, ${v.at.slice(0, 16).replace('T', ' ')} UTC).`,
    ),
  ];
  for (const p of v.problems) parts.push(el('p', p, 'problem'));
  for (const s of v.sites) {
    const c = s.counts;
    const table = el('table');
    table.append(
      el(
        'caption',
        `${s.site}: ${c['pending']} pending, ${c['running']} running, ${c['ended']} ended, ${c['collected']} collected${s.error ? ` — ${s.error}` : ''}`,
      ),
    );
    const head = el('tr');
    for (const h of ['task', 'cases', 'state', 'phase', 'node', 'why', 'records']) {
      const th = el('th', h);
      th.scope = 'col';
      head.append(th);
    }
    table.append(el('thead'));
    table.tHead!.append(head);
    const body = el('tbody');
    for (const t of s.tasks) {
      const tr = el('tr');
      tr.dataset['phase'] = t.phase;
      tr.append(
        el('td', t.key),
        el('td', t.cases.join(', ')),
        el('td', t.state),
        el('td', t.phase, `phase-${t.phase}`),
        el('td', t.node ?? '—'),
        el('td', t.reason ?? ''),
        el('td', String(t.records)),
      );
      body.append(tr);
    }
    table.append(body);
    parts.push(table);
  }
  root.replaceChildren(...parts);
  root.dataset['seq'] = String(v.seq);
  root.dataset['complete'] = String(v.complete);
}

function followCampaign(): void {
  const root = document.getElementById('progress');
  const name = root?.dataset['campaign'];
  if (!root || !name) return;
  const source = new EventSource(`/api/campaigns/${encodeURIComponent(name)}/events`);
  source.addEventListener('progress', (e) => {
    const v = JSON.parse((e as MessageEvent<string>).data) as CampaignView;
    renderProgress(root, v);
    if (v.complete) source.close();
  });
}

function liveWeights(): void {
  const inputs = document.querySelectorAll<HTMLInputElement>('input[data-weight]');
  if (!inputs.length) return;
  let timer: number | undefined;
  const update = async () => {
    const weights = [...inputs].map((i) => `${i.dataset['weight']}=${i.value}`).join(',');
    const url = new URL(window.location.href);
    for (const i of inputs) url.searchParams.delete(i.name);
    url.searchParams.set('weights', weights);
    window.history.replaceState(null, '', url);
    url.searchParams.set('fragment', 'recommendation');
    const section = document.getElementById('recommendation');
    if (!section) return;
    section.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`${res.status}`);
      const holder = document.createElement('div');
      holder.innerHTML = await res.text(); // the server's own section markup, escaped there
      const fresh = holder.querySelector('#recommendation');
      if (fresh) section.replaceWith(fresh);
      document.body.dataset['weights'] = weights;
      // export links follow the weights
      for (const a of document.querySelectorAll<HTMLAnchorElement>('p.exports a')) {
        const u = new URL(a.href);
        u.searchParams.set('weights', weights);
        a.href = u.toString();
      }
    } catch (err) {
      section.setAttribute('aria-busy', 'false');
      console.error(err);
    }
  };
  for (const i of inputs)
    i.addEventListener('input', () => {
      const out = document.getElementById(`${i.id}-out`);
      if (out) out.textContent = i.value;
      i.setAttribute('aria-valuetext', i.value);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void update(), 200);
    });
}

function acceptanceUpload(): void {
  const input = document.querySelector<HTMLInputElement>('input[data-references-upload]');
  const form = document.getElementById('accept-form') as HTMLFormElement | null;
  const out = document.getElementById('accept-result');
  if (!input || !form || !out) return;
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    const data = new FormData(form);
    // names are comma-separated; benchmark and case ids (which hold commas) space-separated
    const list = (k: string) =>
      data
        .getAll(k)
        .flatMap((v) => String(v).split(k === 'bench' ? /\s+/ : ','))
        .map((s) => s.trim())
        .filter(Boolean);
    const body = {
      references: await file.text(),
      campaign: list('campaign'),
      site: list('site'),
      bench: list('bench'),
    };
    out.replaceChildren(el('p', 'Judging…', 'busy'));
    try {
      const markup = await (await post('/api/acceptance', body)).text();
      const download = el('button', 'Download the result (CSV)');
      download.type = 'button';
      download.addEventListener('click', async () => {
        const csv = await (await post('/api/acceptance', { ...body, format: 'csv' })).blob();
        const a = el('a');
        a.href = URL.createObjectURL(csv);
        a.download = 'acceptance.csv';
        a.click();
        URL.revokeObjectURL(a.href);
      });
      const holder = document.createElement('div');
      holder.innerHTML = markup; // the server's report sections, escaped there
      out.replaceChildren(download, ...holder.childNodes);
      await drawCharts(out);
    } catch (err) {
      out.replaceChildren(el('p', errorOf(err), 'problem'));
    }
  });
}

siteChecks();
launchForm();
cancelButton();
followCampaign();
liveWeights();
acceptanceUpload();
void drawCharts(document).finally(() => {
  document.body.dataset['charts'] = 'done';
  document.body.dataset['doneAt'] = performance.now().toFixed(0);
});
