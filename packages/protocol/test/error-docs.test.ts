/**
 * Keeps docs/errors.md and the code catalogues in sync (style guide practice 14):
 * every ErrorCode and CloseCode has exactly one row, every row names a real
 * code under its real name, and the "Retryable" markers agree with
 * RETRYABLE_ERROR_CODES and isRetryableClose.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloseCode, isRetryableClose } from '../src/close-codes.js';
import { ErrorCode, RETRYABLE_ERROR_CODES } from '../src/error-codes.js';

const DOC_URL = new URL('../../../docs/errors.md', import.meta.url);
const markdown = readFileSync(DOC_URL, 'utf8');

interface Row {
  code: number;
  name: string;
  cells: string[];
  line: number;
}

/** Splits a Markdown table row into trimmed cells, honouring `\|` escapes. */
function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** Removes Markdown code/emphasis markers from a cell. */
function plain(cell: string): string {
  return cell.replace(/[`*]/g, '').trim();
}

/** The rows of the first table after the `## <heading>` line. */
function tableUnder(heading: string): Row[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start === -1) throw new Error(`docs/errors.md has no "## ${heading}" section`);
  const rows: Row[] = [];
  let inTable = false;
  let seenSeparator = false;
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line.startsWith('|')) {
      if (inTable) break;
      if (/^#{1,6} /.test(line)) throw new Error(`no table directly under "## ${heading}"`);
      continue;
    }
    inTable = true;
    const cells = splitRow(line);
    if (!seenSeparator) {
      // The header row, then the |---| separator.
      if (cells.every((c) => /^:?-{3,}:?$/.test(c))) seenSeparator = true;
      continue;
    }
    const codeText = plain(cells[0] ?? '');
    if (!/^\d+$/.test(codeText)) throw new Error(`docs/errors.md:${i + 1}: first cell "${cells[0] ?? ''}" is not a numeric code`);
    rows.push({ code: Number(codeText), name: plain(cells[1] ?? ''), cells, line: i + 1 });
  }
  return rows;
}

function checkCatalogue(rows: Row[], catalogue: Readonly<Record<string, number>>, what: string): void {
  const byName = new Map(Object.entries(catalogue));
  const documentedNames = rows.map((r) => r.name);

  const undocumented = [...byName.keys()].filter((name) => !documentedNames.includes(name));
  expect(undocumented, `${what} entries missing from docs/errors.md`).toEqual([]);

  const unknown = rows.filter((r) => !byName.has(r.name)).map((r) => `line ${r.line}: ${r.code} ${r.name}`);
  expect(unknown, `docs/errors.md rows naming no ${what} entry`).toEqual([]);

  const mismatched = rows.filter((r) => byName.has(r.name) && byName.get(r.name) !== r.code).map((r) => `line ${r.line}: ${r.name} is ${byName.get(r.name)}, documented as ${r.code}`);
  expect(mismatched, `${what} rows whose code does not match the name`).toEqual([]);

  const duplicates = documentedNames.filter((name, i) => documentedNames.indexOf(name) !== i);
  expect(duplicates, `${what} entries documented twice`).toEqual([]);
}

describe('docs/errors.md', () => {
  const errorRows = tableUnder('Error codes');
  const closeRows = tableUnder('Close codes');

  it('documents every ErrorCode exactly once, with its real number', () => {
    checkCatalogue(errorRows, ErrorCode, 'ErrorCode');
    expect(errorRows).toHaveLength(Object.keys(ErrorCode).length);
  });

  it('gives every error row a meaning, a resolution and a source', () => {
    for (const row of errorRows) {
      expect(row.cells, `line ${row.line} should have 5 cells`).toHaveLength(5);
      for (const cell of row.cells) expect(cell, `line ${row.line} has an empty cell`).not.toBe('');
    }
  });

  it('marks exactly the RETRYABLE_ERROR_CODES as retryable', () => {
    for (const row of errorRows) {
      const marked = /^retryable\b/i.test(plain(row.cells[3] ?? ''));
      expect(marked, `line ${row.line} (${row.code} ${row.name}) retryable marker`).toBe(RETRYABLE_ERROR_CODES.has(row.code));
    }
  });

  it('documents every CloseCode exactly once, with its real number', () => {
    checkCatalogue(closeRows, CloseCode, 'CloseCode');
    expect(closeRows).toHaveLength(Object.keys(CloseCode).length);
  });

  it('states retryability of close codes as isRetryableClose does', () => {
    for (const row of closeRows) {
      const cell = plain(row.cells[3] ?? '').toLowerCase();
      expect(['yes', 'no'], `line ${row.line} retryable cell "${cell}"`).toContain(cell);
      expect(cell === 'yes', `line ${row.line} (${row.code} ${row.name})`).toBe(isRetryableClose(row.code));
    }
  });

  it('keeps catalogue numbers unique, so a row can name exactly one code', () => {
    const errorValues = Object.values(ErrorCode);
    expect(new Set(errorValues).size).toBe(errorValues.length);
    const closeValues = Object.values(CloseCode);
    expect(new Set(closeValues).size).toBe(closeValues.length);
  });
});
