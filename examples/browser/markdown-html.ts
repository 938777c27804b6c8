/**
 * Turns the report's markdown (`report.toMarkdown()`) into HTML for the page: headings, tables,
 * paragraphs and `code` spans, which is all the report uses. Everything is escaped first, so no
 * markup from the text gets through.
 */

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Escapes, then turns `code` spans into <code>. */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The cells of a `| a | b |` row (an escaped `\|` stays inside its cell). */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * Markdown (the subset the report writes) to an HTML fragment.
 *
 * @example
 * ```ts
 * reportElement.innerHTML = markdownToHtml(report.toMarkdown());
 * ```
 */
export function markdownToHtml(markdown: string): string {
  const html: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading !== null) {
      const level = Math.min(6, heading[1].length + 2); // the page's own headings are h1/h2
      html.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
    } else if (line.trimStart().startsWith('|')) {
      const rows: string[] = [];
      while (i < lines.length && lines[i].trimStart().startsWith('|')) rows.push(lines[i++]);
      const aligns = rows.length > 1 && /^[\s|:-]+$/.test(rows[1]) ? cells(rows[1]).map((c) => (c.endsWith(':') ? 'right' : 'left')) : [];
      const body = aligns.length > 0 ? rows.slice(2) : rows.slice(1);
      const cell = (tag: string, text: string, column: number): string => `<${tag} style="text-align:${aligns[column] ?? 'left'}">${inline(text)}</${tag}>`;
      html.push(
        `<table><thead><tr>${cells(rows[0]).map((c, k) => cell('th', c, k)).join('')}</tr></thead><tbody>${body
          .map((row) => `<tr>${cells(row).map((c, k) => cell('td', c, k)).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    } else if (line.trim() === '') {
      i++;
    } else {
      const paragraph: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^(#|\s*\|)/.test(lines[i])) paragraph.push(lines[i++]);
      html.push(`<p>${inline(paragraph.join(' '))}</p>`);
    }
  }
  return html.join('\n');
}
