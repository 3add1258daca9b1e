// Writes bench/data/heldout-long.txt: tools/train/heldout-stream.txt (46K tokens), then more
// files from npm packages that the model never trained on (split=heldout in
// tools/train/MANIFEST.tsv), fetched with `npm pack` at the listed version, with the same rules
// as tools/train/heldout_stream.py: no declaration files, 1,000–12,000 characters, lines under 200
// characters, no special-token text, at most 4 files per package.
//   node --import tsx bench/data/buildHeldout.ts [--chars 250000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(__dirname, '..', '..');
const { values } = parseArgs({ options: { chars: { type: 'string', default: '250000' } } });
const target = Number(values.chars);
const base = readFileSync(join(ROOT, 'tools/train/heldout-stream.txt'), 'utf8');
const seen = new Set([...base.matchAll(/^\/\/ file: (@[^/]+\/[^/]+|[^/@][^/]*)\//gm)].map((m) => m[1]));
const manifest = readFileSync(join(ROOT, 'tools/train/MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((c) => c[4] === 'heldout' && !seen.has(c[0]))
  .sort((a, b) => Number(b[3]) - Number(a[3]));

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
const usable = (path: string, text: string) =>
  /\.(ts|mts|tsx|js|mjs|cjs)$/.test(path) &&
  !/\.d\.[mc]?ts$/.test(path) &&
  !/\.min\.js$/.test(path) &&
  text.length >= 1000 &&
  text.length <= 12000 &&
  !text.includes('<|') &&
  Math.max(...text.split('\n').map((l) => l.length)) < 200;

let out = base.trimEnd() + '\n\n';
const added: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'heldout-'));
try {
  for (const [name, version] of manifest) {
    if (out.length >= target) break;
    const dir = mkdtempSync(join(work, 'p-'));
    try {
      const tgz = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
      execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir]);
    } catch (err) {
      process.stderr.write(`skipped ${name}@${version}: ${(err as Error).message.split('\n')[0]}\n`);
      continue;
    }
    const pkgRoot = join(dir, 'package');
    const picked = files(pkgRoot)
      .sort()
      .map((p) => ({ path: `${name}/${relative(pkgRoot, p)}`, text: readFileSync(p, 'utf8') }))
      .filter((f) => usable(f.path, f.text))
      .slice(0, 4);
    for (const f of picked) out += `// file: ${f.path}\n${f.text.trimEnd()}\n\n`;
    if (picked.length) added.push(`${name}@${version}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(join(ROOT, 'bench/data/heldout-long.txt'), out);
process.stdout.write(`bench/data/heldout-long.txt: ${out.length} characters; added ${added.length} packages: ${added.join(', ')}\n`);
