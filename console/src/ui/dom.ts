/** A tiny hyperscript: elements from a tag, attributes (`onclick` etc. become listeners) and children. */

/** What may appear as a child: nodes, text, and nothing (null, undefined, false), nested in arrays. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes; `on<event>` functions are listeners, `false`/`undefined` leave the attribute out. */
export type Attrs = Record<string, unknown>;

/** Properties set as properties, not attributes, so they reflect live state. */
const properties = new Set(['value', 'checked', 'disabled', 'selected', 'indeterminate']);

/** Creates an HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Creates an SVG element (charts). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

function applyAttrs(el: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (properties.has(name)) {
      (el as unknown as Record<string, unknown>)[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** Appends children, flattening arrays and skipping empties. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else parent.appendChild(typeof child === 'object' ? (child as Node) : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = 'id'): string {
  return `${prefix}-${++ids}`;
}
