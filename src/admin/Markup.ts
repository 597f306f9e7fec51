/**
 * HTML built by the `markup` template tag, which escapes every value put into it. The admin page is built with
 * it; its sections live in files of their own and share it from here.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
// Every attribute on the page is double-quoted, so an apostrophe needs no escaping: the portal's wording
// ("Don't check record status. ...") then appears in the HTML exactly as written.
export const escapeHtml = (text: string | number) => String(text).replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);

/** HTML built by `markup`: put into another `markup` template as it is, not escaped twice. */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type MarkupValue = string | number | Markup | readonly Markup[];

/**
 * A template tag that escapes every interpolated value (text or attribute) except the fragments it built
 * itself. (Not named `html`, which Prettier would reformat as HTML, changing the page's markup.)
 */
export function markup(strings: TemplateStringsArray, ...values: MarkupValue[]): Markup {
  const render = (v: MarkupValue): string =>
    v instanceof Markup ? v.html : typeof v === 'object' ? v.map(render).join('') : escapeHtml(v);
  return new Markup(strings.reduce((out, s, i) => out + render(values[i - 1]!) + s));
}

/** An empty fragment, for the branch of a condition that adds nothing. */
export const NOTHING = markup``;
