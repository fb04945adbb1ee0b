/**
 * docs/ocsf.md shows the classification rules and verb tables exactly as the code has them
 * (rendered by ./rule-table.ts), and names the pinned OCSF version.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OCSF_VERSION } from '#core/ocsf/index.js';
import { ruleTable, verbTable } from './rule-table.js';

const doc = readFileSync(new URL('../../../docs/ocsf.md', import.meta.url), 'utf8');

/** Table rows without the padding the formatter adds (`| a   | b |` → `| a | b |`, `| --- |` → `| - |`). */
const unpadded = (markdown: string): string =>
  markdown
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? `| ${line
            .slice(1, -1)
            .split(' | ')
            .map((cell) => cell.trim().replace(/^-+$/, '-'))
            .join(' | ')} |`
        : line,
    )
    .join('\n');

describe('docs/ocsf.md', () => {
  it.each([
    ['the rule table', ruleTable()],
    ['the verb table', verbTable()],
  ])('holds %s verbatim', (_, table) => {
    // On failure, the expected table is printed: paste it into the document, then `npm run format`.
    expect(unpadded(doc).includes(table), `docs/ocsf.md should contain:\n\n${table}\n`).toBe(true);
  });

  it('names the pinned version', () => {
    expect(doc).toContain(`Events are OCSF **${OCSF_VERSION}**`);
  });
});
