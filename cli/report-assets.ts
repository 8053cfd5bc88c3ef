/**
 * The report's inline style sheet and script: the page loads nothing else.
 * Colours are the Okabe–Ito palette (distinguishable with the common colour
 * vision deficiencies), and every coloured cell carries its letter too.
 */

export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1b1b1b; --muted: #5a5a5a; --line: #c8c8c8;
  --InUse: #009e73; --Allocated: #0072b2; --Released: #e69f00; --expired: #cc79a7; --free: #f1f1f1;
  --add: #56b4e9; --release: #d55e00; --both: #f0e442; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); margin: 0; background: #fff; }
header, main, nav { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
p { margin: 4px 0; }
.muted { color: var(--muted); }
nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
code, .mono, .grid, .rowhead { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 6px 16px; margin: 8px 0 12px; }
dl.figures div { border-left: 3px solid var(--line); padding-left: 8px; }
dl.figures dt { font-size: .8rem; color: var(--muted); }
dl.figures dd { margin: 0; font-weight: 600; }
.bar { display: flex; height: 22px; border: 1px solid #888; margin: 6px 0; max-width: 900px; }
.bar span { display: block; height: 100%; }
ul.legend { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: .9rem; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-flex; width: 20px; height: 20px; align-items: center; justify-content: center; font: 600 12px/1 ui-monospace, "DejaVu Sans Mono", monospace; border: 1px solid rgba(0,0,0,.25); }
.s-InUse { background-color: var(--InUse); color: #fff; }
.s-Allocated { background-color: var(--Allocated); color: #fff; }
.s-Released { background-color: var(--Released); color: #000; }
.s-expired { background-color: var(--expired); color: #000; }
.s-free { background-color: var(--free); color: #777; }
.mixed { background-image: repeating-linear-gradient(135deg, rgba(255,255,255,.55) 0 2px, transparent 2px 5px); }
.ch-add { background-color: var(--add); color: #000; font-weight: 700; }
.ch-release { background-color: var(--release); color: #fff; font-weight: 700; }
.ch-both { background-color: var(--both); color: #000; font-weight: 700; }
.grid-wrap { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.grid { display: inline-block; border: 1px solid #888; padding: 4px; background: #fff; }
.grid [role=row] { display: flex; }
.rowhead { font-size: min(11px, calc(var(--cell) * .78)); color: var(--muted); width: 9.5em; padding-right: 6px; text-align: right; line-height: var(--cell); white-space: nowrap; }
.c { display: inline-block; width: var(--cell); height: var(--cell); line-height: var(--cell); text-align: center; font-size: calc(var(--cell) * .6);
  border-right: 1px solid rgba(255,255,255,.7); border-bottom: 1px solid rgba(255,255,255,.7); cursor: default; }
.c:focus { outline: 3px solid #000; outline-offset: -1px; position: relative; z-index: 1; }
.c:hover { outline: 2px solid #000; outline-offset: -1px; }
.panel { flex: 1 1 300px; max-width: 760px; border: 1px solid var(--line); padding: 8px 12px; background: #fafafa; font-size: .9rem; }
.panel h4 { margin: 0 0 6px; font-size: .95rem; }
.panel td, .panel th { white-space: nowrap; font-size: .85rem; }
.panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.panel dt { color: var(--muted); }
.panel dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
figure { margin: 12px 0; }
figcaption { font-size: .9rem; color: var(--muted); margin-bottom: 4px; }
table { border-collapse: collapse; margin: 6px 0; font-size: .9rem; }
caption { text-align: left; color: var(--muted); width: max-content; max-width: min(100vw - 48px, 1150px); padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; }
.problem { color: #a00; }
details summary { cursor: pointer; margin: 8px 0; }
.plan-side { flex: 1 1 420px; }
@media print {
  @page { margin: 12mm; }
  body { font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav, .panel, .no-print { display: none !important; }
  h2 { break-before: page; }
  section.slice:first-of-type h2, #plan h2 { break-before: auto; }
  figure, table, .grid { break-inside: avoid; }
  .c:focus, .c:hover { outline: none; }
}
`;

/**
 * Hover and keyboard focus show a cell's subnets in the panel beside its
 * grid; arrow keys, Home/End and PageUp/PageDown move through the grid (one
 * tab stop per grid); printing opens the collapsed tables.
 */
export const REPORT_SCRIPT = `
(() => {
  const parsed = new Map();
  const entriesOf = (grid) => {
    if (!parsed.has(grid)) parsed.set(grid, JSON.parse(document.getElementById(grid.dataset.entries).textContent));
    return parsed.get(grid);
  };
  const cellsOf = (grid) => grid.querySelectorAll('[role=gridcell]');
  // [name, position in an entry]: a dual-stack slice's entries add the IPv6 subnet at the end, shown after the subnet.
  const ALL_FIELDS = [['cluster', 0], ['subnet', 1], ['IPv6 subnet', 6], ['state', 2], ['allocated', 3], ['released', 4], ['grace ends', 5]];
  function show(cell) {
    const grid = cell.closest('[role=grid]');
    const panel = document.getElementById(grid.dataset.panel);
    const entries = entriesOf(grid)[cell.dataset.c] || [];
    const FIELDS = ALL_FIELDS.filter(([, at]) => entries.some((entry) => at < entry.length));
    panel.replaceChildren();
    const heading = document.createElement('h4');
    panel.append(heading);
    if (entries.length === 1 && grid.dataset.block === '1') {
      // One subnet: its fields one per line, under the subnet.
      heading.textContent = entries[0][1];
      const list = document.createElement('dl');
      FIELDS.forEach(([name, at]) => {
        const term = document.createElement('dt');
        term.textContent = name;
        const value = document.createElement('dd');
        value.textContent = entries[0][at] || '-';
        list.append(term, value);
      });
      panel.append(list);
      return;
    }
    heading.textContent = cell.getAttribute('aria-label');
    if (entries.length === 0) return;
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    FIELDS.forEach(([name]) => { const th = document.createElement('th'); th.textContent = name; head.append(th); });
    const body = table.createTBody();
    entries.slice(0, 32).forEach((entry) => {
      const row = body.insertRow();
      FIELDS.forEach(([, at]) => { row.insertCell().textContent = entry[at] || '-'; });
    });
    panel.append(table);
    if (entries.length > 32) {
      const more = document.createElement('p');
      more.textContent = '… and ' + (entries.length - 32) + ' more: see the table of allocations';
      panel.append(more);
    }
  }
  const cellOf = (event) => event.target instanceof Element ? event.target.closest('[role=gridcell]') : null;
  document.addEventListener('mouseover', (event) => { const cell = cellOf(event); if (cell) show(cell); });
  document.addEventListener('focusin', (event) => { const cell = cellOf(event); if (cell) show(cell); });
  document.addEventListener('keydown', (event) => {
    const cell = cellOf(event);
    if (!cell) return;
    const grid = cell.closest('[role=grid]');
    const cells = cellsOf(grid);
    const columns = Number(grid.dataset.columns);
    const at = Number(cell.dataset.c);
    const rowStart = at - (at % columns);
    const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + columns, ArrowUp: at - columns,
      Home: rowStart, End: rowStart + columns - 1, PageDown: at + columns * 8, PageUp: at - columns * 8 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = cells[Math.max(0, Math.min(cells.length - 1, moves[event.key]))];
    cell.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
  window.addEventListener('beforeprint', () => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
})();
`;
