/** One bar of a chart. */
export interface Bar {
  label: string;
  value: number;
  /** Optional second series drawn beside it (e.g. the baseline). */
  baseline?: number;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A small horizontal bar chart as standalone SVG, with an optional baseline series and target line. */
export function barChart(
  title: string,
  unit: string,
  bars: readonly Bar[],
  options: { target?: number; seriesNames?: [string, string] } = {},
): string {
  const rowHeight = bars.some((b) => b.baseline !== undefined) ? 34 : 22;
  const width = 640;
  const left = 170;
  const plot = width - left - 90;
  const height = 40 + bars.length * rowHeight + 30;
  const max = Math.max(...bars.flatMap((b) => [b.value, b.baseline ?? 0]), options.target ?? 0) || 1;
  const x = (v: number) => left + (v / max) * plot;
  const rows = bars
    .map((b, i) => {
      const y = 40 + i * rowHeight;
      const main = `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="14" fill="#2f6fde"/><text x="${x(b.value) + 4}" y="${y + 11}" font-size="11">${b.value.toFixed(b.value < 10 ? 2 : 0)} ${esc(unit)}</text>`;
      const base =
        b.baseline === undefined
          ? ''
          : `<rect x="${left}" y="${y + 16}" width="${Math.max(1, x(b.baseline) - left)}" height="12" fill="#a0a7b4"/><text x="${x(b.baseline) + 4}" y="${y + 26}" font-size="11" fill="#555">${b.baseline.toFixed(b.baseline < 10 ? 2 : 0)}</text>`;
      return `<text x="${left - 8}" y="${y + 11}" font-size="12" text-anchor="end">${esc(b.label)}</text>${main}${base}`;
    })
    .join('');
  const target =
    options.target === undefined
      ? ''
      : `<line x1="${x(options.target)}" y1="34" x2="${x(options.target)}" y2="${height - 26}" stroke="#d92d20" stroke-dasharray="4 3"/><text x="${x(options.target)}" y="${height - 12}" font-size="11" fill="#d92d20" text-anchor="middle">target ${options.target}</text>`;
  const legend = options.seriesNames
    ? `<rect x="${left}" y="${height - 22}" width="10" height="10" fill="#2f6fde"/><text x="${left + 14}" y="${height - 13}" font-size="11">${esc(options.seriesNames[0])}</text><rect x="${left + 130}" y="${height - 22}" width="10" height="10" fill="#a0a7b4"/><text x="${left + 144}" y="${height - 13}" font-size="11">${esc(options.seriesNames[1])}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui,sans-serif"><rect width="100%" height="100%" fill="#fff"/><text x="12" y="22" font-size="14" font-weight="600">${esc(title)}</text>${rows}${target}${legend}</svg>\n`;
}
