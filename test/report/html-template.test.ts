// The html`…` template: every interpolation is text unless it is markup made by the template itself.
import { describe, expect, it } from 'vitest';
import { html, joinHtml, jsonScript, SafeHtml, trusted } from '../../src/report/escape.js';

const HOSTILE = `<script>alert("x")</script><img src=x onerror='alert(1)'>&`;
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;';

describe('html tagged template', () => {
  it('escapes every interpolated string and number, and renders null and undefined as nothing', () => {
    expect(html`<p>${HOSTILE}</p>`.toString()).toBe(`<p>${ESCAPED}</p>`);
    expect(html`<p>${3} ${null}${undefined}</p>`.toString()).toBe('<p>3 </p>');
  });

  it('keeps nested templates as markup, escaping inside them once', () => {
    const inner = html`<b>${HOSTILE}</b>`;
    expect(html`<p>${inner}</p>`.toString()).toBe(`<p><b>${ESCAPED}</b></p>`);
    expect(html`${html`${html`${'<'}`}`}`.toString()).toBe('&lt;');
  });

  it('renders arrays item by item, joined without a separator, and joinHtml with one', () => {
    const items = ['a<b', html`<i>c</i>`, ['d', html`<br>`]];
    expect(html`<li>${items}</li>`.toString()).toBe('<li>a&lt;b<i>c</i>d<br></li>');
    expect(joinHtml(['<x>', html`<y>`], html`<hr>`).toString()).toBe('&lt;x&gt;<hr><y>');
    expect(joinHtml(['a', 'b'], '\n').toString()).toBe('a\nb');
  });

  it('escapes quotes, so a value cannot leave a quoted attribute', () => {
    const v = `x" onmouseover="alert(1)`;
    expect(html`<a title="${v}">t</a>`.toString()).toBe('<a title="x&quot; onmouseover=&quot;alert(1)">t</a>');
    expect(html`<a title='${"x' y='z"}'>t</a>`.toString()).toBe(`<a title='x&#39; y=&#39;z'>t</a>`);
  });

  it('takes trusted markup as it is, and only SafeHtml counts as markup', () => {
    expect(html`<style>${trusted('a>b{color:red}')}</style>`.toString()).toBe('<style>a>b{color:red}</style>');
    // an object that merely looks like markup is text
    const fake = { toString: () => '<b>' };
    expect(html`${fake as unknown as string}`.toString()).toBe('&lt;b&gt;');
    expect(() => new (SafeHtml as any)(Symbol('SafeHtml'), '<b>')).toThrow(TypeError);
  });

  it('puts JSON in a script element that no string can close', () => {
    const out = jsonScript('spec-0', { s: '</script><script>alert(1)</script>', q: `"'&` }).toString();
    expect(out.startsWith('<script type="application/json" id="spec-0">')).toBe(true);
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    const body = out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>'));
    expect(JSON.parse(body)).toEqual({ s: '</script><script>alert(1)</script>', q: `"'&` });
    expect(jsonScript('a"b', {}).toString()).toContain('id="a&quot;b"');
  });
});
