/**
 * The documentation's links: README.md and every docs/**\/*.md.
 *
 * A clone is all a reader has, so every relative link must reach a file in the repository (and
 * an `#anchor` a heading of that file, by GitHub's slug rules), and no link may leave the tree:
 * not `../` above the root, not an absolute path, not a `file:` URL. http(s) links are allowed but
 * not fetched (tests must pass offline). The checker is unit-tested on in-memory documents first,
 * so a checker that silently accepts everything cannot pass.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The repository root: this file is test/unit/docs/links.test.ts. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/** What the checker needs to know about the repository (paths are repo-relative, with `/`). */
interface Repo {
  kind(path: string): 'file' | 'dir' | undefined;
  read(path: string): string;
  /** Git-ignored paths exist on this machine but not in a clone, so a link to one is broken. */
  ignored(path: string): boolean;
}

interface Link {
  target: string;
  line: number;
}

interface Problem {
  file: string;
  line: number;
  target: string;
  reason: string;
}

/** Replaces every character but newlines with spaces, so offsets and line numbers stay true. */
const blank = (text: string): string => text.replace(/[^\n]/g, ' ');

/** Fenced code blocks (``` or ~~~) blanked: `# comment` or `[x](y)` inside code is neither a heading nor a link. */
function blankFences(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined) {
        if (marker === undefined) return line;
        fence = marker;
        return blank(line);
      }
      if (
        marker !== undefined &&
        marker[0] === fence[0] &&
        marker.length >= fence.length &&
        /^ {0,3}[`~]+\s*$/.test(line)
      )
        fence = undefined;
      return blank(line);
    })
    .join('\n');
}

/** Fences, inline code spans and HTML comments blanked: what is left is where links can be. */
function blankCode(markdown: string): string {
  return (
    blankFences(markdown)
      .replace(/<!--[\s\S]*?-->/g, blank)
      // A code span ends at the next run of as many backticks, within its paragraph.
      .replace(/(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])*?[^`]\1(?!`)/g, blank)
  );
}

/**
 * GitHub's heading anchor (as github-slugger computes it): lower-case, drop everything but
 * letters, marks, numbers, connector punctuation (`_`), `-` and spaces, then spaces → `-`.
 */
function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text a heading renders as: links become their text, code and emphasis markers go. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/\*\*|__/g, '')
    .trim();
}

/** Every anchor a document defines: its ATX headings (duplicates get -1, -2…) and HTML id/name attributes. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  // github-slugger's bookkeeping: occurrences of each base slug; a taken slug gets the next suffix.
  const occurrences = new Map<string, number>();
  for (const line of blankFences(markdown).split('\n')) {
    const match = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (!match) continue;
    const base = githubSlug(headingText(match[1] ?? ''));
    let slug = base;
    while (occurrences.has(slug)) {
      const n = (occurrences.get(base) ?? 0) + 1;
      occurrences.set(base, n);
      slug = `${base}-${n}`;
    }
    occurrences.set(slug, 0);
    anchors.add(slug);
  }
  for (const m of blankCode(markdown).matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']/gi)) {
    if (m[1]) anchors.add(m[1]);
  }
  return anchors;
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every link target: inline links and images, reference definitions, autolinks and HTML href/src. */
function findLinks(markdown: string): Link[] {
  const text = blankCode(markdown);
  const links: Link[] = [];
  const patterns = [
    // [text](target "title"), ![alt](target); the text may span lines and hold one level of [].
    /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g,
    // [label]: target
    /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm,
    // <scheme:…>
    /<([a-z][a-z0-9+.-]{1,31}:[^\s<>]*)>/gi,
    // href="…", src='…'
    /\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi,
  ];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const target = (m[1] ?? m[2] ?? '').replace(/^<|>$/g, '');
      links.push({ target, line: lineOf(text, m.index) });
    }
  }
  return links.sort((a, b) => a.line - b.line);
}

/** Why `target`, linked from `file`, is broken or leaves the repository; undefined when it is fine. */
function checkTarget(file: string, rawTarget: string, repo: Repo): string | undefined {
  const target = rawTarget.trim();
  if (target === '') return 'empty link';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    // Web links are allowed (not fetched); anything else (file:, a Windows drive…) leaves the tree.
    return ['http', 'https', 'mailto'].includes(scheme)
      ? undefined
      : `leaves the repository (${scheme}: link)`;
  }
  if (target.startsWith('//')) return 'leaves the repository (protocol-relative URL)';

  const hash = target.indexOf('#');
  const pathPart = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
  const anchor = hash === -1 ? undefined : target.slice(hash + 1);
  let path: string;
  try {
    path = decodeURIComponent(pathPart);
  } catch {
    return 'malformed %-escape';
  }
  if (path.startsWith('/') || path.startsWith('\\'))
    return 'absolute path (use a path relative to this file)';

  const resolved =
    path === '' ? file : posix.normalize(posix.join(posix.dirname(file), path)).replace(/\/$/, '');
  if (resolved === '..' || resolved.startsWith('../')) return 'climbs above the repository root';
  const kind = resolved === '.' ? 'dir' : repo.kind(resolved);
  if (kind === undefined) return `no such file: ${resolved}`;
  if (repo.ignored(resolved)) return `git-ignored, so not in a clone: ${resolved}`;

  if (anchor === undefined) return undefined;
  if (anchor === '') return 'empty #anchor';
  if (kind === 'file' && resolved.endsWith('.md')) {
    const wanted = decodeURIComponent(anchor);
    return headingAnchors(repo.read(resolved)).has(wanted)
      ? undefined
      : `no heading #${wanted} in ${resolved}`;
  }
  // GitHub's line anchors are the only ones a non-markdown file has.
  return kind === 'file' && /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `no anchor #${anchor} in ${resolved}`;
}

/** Every broken or escaping link of one document. */
function checkLinks(file: string, markdown: string, repo: Repo): Problem[] {
  return findLinks(markdown).flatMap(({ target, line }) => {
    const reason = checkTarget(file, target, repo);
    return reason === undefined ? [] : [{ file, line, target, reason }];
  });
}

/** A simplified .gitignore matcher (what this repository's .gitignore uses: names, `dir/`, `*`, `!`). */
function gitignoreMatcher(patterns: readonly string[]): (path: string) => boolean {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const negate = p.startsWith('!');
      const body = (negate ? p.slice(1) : p).replace(/\/$/, '');
      const anchored = body.includes('/');
      const glob = body
        .replace(/^\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*');
      // A pattern matches the path itself or any directory above it.
      const regex = new RegExp(anchored ? `^${glob}(/|$)` : `(^|/)${glob}(/|$)`);
      return { negate, regex };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negate;
    return ignored;
  };
}

/** The repository on disk. */
function diskRepo(root: string): Repo {
  const ignored = gitignoreMatcher(readFileSync(`${root}.gitignore`, 'utf8').split('\n'));
  return {
    kind(path) {
      try {
        const stat = statSync(`${root}${path}`);
        return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined;
      } catch {
        return undefined;
      }
    },
    read: (path) => readFileSync(`${root}${path}`, 'utf8'),
    ignored,
  };
}

/** A repository held in memory, for testing the checker itself. */
function memoryRepo(files: Record<string, string>, ignore: readonly string[] = []): Repo {
  const ignored = gitignoreMatcher(ignore);
  return {
    kind(path) {
      if (Object.hasOwn(files, path)) return 'file';
      return Object.keys(files).some((f) => f.startsWith(`${path}/`)) ? 'dir' : undefined;
    },
    read: (path) => files[path] ?? '',
    ignored,
  };
}

/** README.md and every markdown file under docs/, repo-relative. */
function documentationFiles(): string[] {
  const docs = readdirSync(`${ROOT}docs`, { recursive: true, encoding: 'utf8' })
    .map((p) => `docs/${p.split('\\').join('/')}`)
    .filter((p) => p.endsWith('.md'))
    .sort();
  return ['README.md', ...docs];
}

const describeProblems = (problems: readonly Problem[]): string =>
  problems.map((p) => `${p.file}:${p.line} (${p.target}): ${p.reason}`).join('\n');

// ---------------------------------------------------------------------------------------------
// The checker, tested on itself
// ---------------------------------------------------------------------------------------------

describe('githubSlug', () => {
  it.each([
    ['A first deployment, step by step', 'a-first-deployment-step-by-step'],
    ['Alarms: what they mean and what to do', 'alarms-what-they-mean-and-what-to-do'],
    ['Tamper-evident archive (S3 Object Lock)', 'tamper-evident-archive-s3-object-lock'],
    ['GET /v1/events', 'get-v1events'],
    ['On AWS (IAM / SigV4)', 'on-aws-iam--sigv4'],
    ['What bounds the remaining miss (#1)', 'what-bounds-the-remaining-miss-1'],
    ['snake_case and kebab-case', 'snake_case-and-kebab-case'],
    ['Latency — 60 days ≥ 1×', 'latency--60-days--1'],
    ['Événements à 100 %', 'événements-à-100-'],
  ])('%s → %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('headingAnchors', () => {
  it('numbers duplicate headings -1, -2 as GitHub does, and strips code and links from the text', () => {
    const doc = [
      '# Notes',
      '## Notes',
      '### Notes',
      '## Notes 1',
      '## `GET /v1/status`',
      '## See [the API](api.md) ##',
    ].join('\n');

    expect([...headingAnchors(doc)]).toEqual([
      'notes',
      'notes-1',
      'notes-2',
      'notes-1-1',
      'get-v1status',
      'see-the-api',
    ]);
  });

  it('does not take a comment inside a code block for a heading, but accepts an HTML anchor', () => {
    const doc = ['```sh', '# not a heading', '```', '<a id="custom-anchor"></a>', '## Real'].join('\n');

    expect([...headingAnchors(doc)].sort()).toEqual(['custom-anchor', 'real']);
  });
});

describe('findLinks', () => {
  it('finds inline links, images, reference definitions, autolinks and HTML href, not links in code', () => {
    const doc = [
      'See [the guide](docs/deploy.md#prerequisites "title") and ![a diagram](img/a.png).',
      'A link whose [text',
      'spans two lines](docs/api.md); [`code` in text](docs/athena.md).',
      '`[not a link](nowhere.md)` and',
      '```md',
      '[also not](nowhere-either.md)',
      '```',
      '[ref]: docs/operate.md',
      '<https://example.com/x> and <a href="docs/README.md">html</a>',
    ].join('\n');

    expect(findLinks(doc)).toEqual([
      { target: 'docs/deploy.md#prerequisites', line: 1 },
      { target: 'img/a.png', line: 1 },
      { target: 'docs/api.md', line: 2 },
      { target: 'docs/athena.md', line: 3 },
      { target: 'docs/operate.md', line: 8 },
      { target: 'https://example.com/x', line: 9 },
      { target: 'docs/README.md', line: 9 },
    ]);
  });
});

describe('checkLinks', () => {
  const repo = memoryRepo(
    {
      'README.md': '# Product\n\n## Quick start\n',
      'docs/guide.md': '# Guide\n\n## Step one\n\n## Step one\n',
      'src/code.ts': 'export {};\n',
      'node_modules/pkg/README.md': '# pkg\n',
    },
    ['node_modules/'],
  );

  it('accepts links that resolve: files, directories, headings (also -1 duplicates), line anchors, web links', () => {
    const doc = [
      '[readme](../README.md#quick-start) [self](#step-one) [again](#step-one-1)',
      '[dir](../src) [code](../src/code.ts#L1-L2) [web](https://example.com/#x) [mail](mailto:a@example.com)',
      '[self file](guide.md#guide)',
    ].join('\n');

    expect(checkLinks('docs/guide.md', doc, repo)).toEqual([]);
  });

  it('reports each broken or escaping link with the reason', () => {
    const doc = [
      '[missing file](missing.md)',
      '[missing heading](../README.md#deploying)',
      '[missing local heading](#step-two)',
      '[outside](../../shared/MIMECAST_API.md)',
      '[absolute](/etc/passwd)',
      '[file url](file:///work/shared/MIMECAST_API.md)',
      '[ignored](../node_modules/pkg/README.md)',
      '<a href="../../elsewhere.md">html</a>',
    ].join('\n');

    const problems = checkLinks('docs/guide.md', doc, repo);

    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [1, 'no such file: docs/missing.md'],
      [2, 'no heading #deploying in README.md'],
      [3, 'no heading #step-two in docs/guide.md'],
      [4, 'climbs above the repository root'],
      [5, 'absolute path (use a path relative to this file)'],
      [6, 'leaves the repository (file: link)'],
      [7, 'git-ignored, so not in a clone: node_modules/pkg/README.md'],
      [8, 'climbs above the repository root'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The repository's documentation
// ---------------------------------------------------------------------------------------------

describe('documentation links', () => {
  const repo = diskRepo(ROOT);
  const files = documentationFiles();

  it('covers the README and the docs folder', () => {
    // Guards the file discovery: an empty list would make every check below pass vacuously.
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/deploy.md', 'docs/athena.md']));
  });

  it.each(files)('%s: every link resolves inside the repository', (file) => {
    const problems = checkLinks(file, repo.read(file), repo);

    expect(problems, describeProblems(problems)).toEqual([]);
  });

  it.each(files.filter((f) => f.startsWith('docs/')))(
    '%s: starts with a table of contents linking every ## section',
    (file) => {
      // Each docs file is read by one audience from the top: its contents list must be complete
      // and come before the first section.
      const markdown = repo.read(file);
      const lines = blankFences(markdown).split('\n');
      const firstSection = lines.findIndex((line) => /^## /.test(line));
      if (firstSection === -1) return; // an index page without sections has nothing to list
      const sections = lines
        .filter((line) => /^## /.test(line))
        .map((line) => githubSlug(headingText(line.slice(3))));
      const beforeFirstSection = lines.slice(0, firstSection).join('\n');
      const tocTargets = new Set(findLinks(beforeFirstSection).map((l) => l.target));

      expect(sections.filter((anchor) => !tocTargets.has(`#${anchor}`))).toEqual([]);
    },
  );
});

describe('README quick start', () => {
  it('starts with the two commands, each on its own, and package.json has both scripts', () => {
    // A fresh clone is run by copying these; they must stay first and stay runnable.
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) =>
      (m[1] ?? '').trim(),
    );
    const scripts = (
      JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }
    ).scripts;

    expect(blocks.slice(0, 2)).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    expect(scripts.start).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  it('stays short: details belong in docs/, one file per audience', () => {
    const lines = readFileSync(`${ROOT}README.md`, 'utf8').split('\n').length;

    expect(lines).toBeLessThanOrEqual(260);
  });
});
