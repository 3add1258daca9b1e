// A fixed, seeded sample of single lines from held-out code (tools/eval/fetch_heldout.sh): per
// language, a package is drawn, then a file of it, then a line; the line's text is removed (its
// indentation stays, as an editor's auto-indent leaves it) and the cursor put where it began.
// npm files that also occur in training data (heldout-npm-seen.txt) are never drawn.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { seededRandom } from '../../src/engine/sampler';

export type EvalLanguage = 'typescript' | 'python';

export interface LineSample {
  language: EvalLanguage;
  /** Path the model sees: <package>/<file> (npm) or the module path (Python), as in training. */
  path: string;
  /** The file with the line's text removed. */
  text: string;
  /** 0-based cursor position. */
  line: number;
  character: number;
  /** The removed text (without its indentation). */
  expected: string;
}

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === '__pycache__') continue;
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) walk(path, keep, out);
    else if (stat?.isFile() && keep(path)) out.push(path);
  }
  return out;
}

/** Hand-written source, by the same tests the training data passes (tools/train/sources.py). */
function readable(text: string): boolean {
  if (text.length < 64 || text.length > 200_000) return false;
  const lines = text.split('\n');
  if (text.length / lines.length > 90) return false;
  return lines.every((line) => line.length <= 1000);
}

interface SourceFile {
  path: string;
  absolute: string;
}

/**
 * Held-out npm files that a training split holds too, white space aside (a held-out package
 * bundled inside another package), as `<folder under npm/>/<file>`: written by
 * tools/train/heldout_overlap.py --list over every training split gathered.
 */
function seenInTraining(): Set<string> {
  const list = readFileSync(join(import.meta.dirname, 'heldout-npm-seen.txt'), 'utf8');
  return new Set(list.split('\n').filter(Boolean));
}

/** Files per held-out package, for each language; none that training has seen. */
export function heldoutFiles(dataDir: string, language: EvalLanguage): Map<string, SourceFile[]> {
  const packages = new Map<string, SourceFile[]>();
  if (language === 'typescript') {
    const root = join(dataDir, 'npm');
    const seen = seenInTraining();
    for (const pkg of safeList(root)) {
      const files = walk(
        join(root, pkg),
        (p) => /\.(ts|tsx|mts|cts)$/.test(p) && !/\.d\.[mc]?ts$/.test(p) && !seen.has(relative(root, p)),
      );
      const name = packageName(join(root, pkg)) ?? pkg;
      if (files.length) packages.set(pkg, files.map((absolute) => ({ absolute, path: `${name}/${relative(join(root, pkg), absolute)}` })));
    }
  } else {
    const root = join(dataDir, 'deb');
    for (const pkg of safeList(root)) {
      const base = join(root, pkg, 'usr', 'lib', 'python3', 'dist-packages');
      const files = walk(base, (p) => p.endsWith('.py'));
      if (files.length) packages.set(pkg, files.map((absolute) => ({ absolute, path: relative(base, absolute) })));
    }
  }
  return packages;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function packageName(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** A line worth predicting: some code on it, not just a bracket, not overly long. */
function candidate(line: string): boolean {
  const content = line.trim();
  return content.length >= 6 && content.length <= 160 && /[A-Za-z_]/.test(content);
}

export function sampleLines(dataDir: string, language: EvalLanguage, count: number, seed: number): LineSample[] {
  const packages = heldoutFiles(dataDir, language);
  const names = [...packages.keys()];
  if (names.length === 0) throw new Error(`no held-out ${language} files under ${dataDir}: run tools/eval/fetch_heldout.sh first`);
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const used = new Set<string>();
  const out: LineSample[] = [];
  for (let attempt = 0; out.length < count && attempt < count * 50; attempt++) {
    const file = pick(packages.get(pick(names))!);
    if (used.has(file.absolute)) continue;
    const text = readFileSync(file.absolute, 'utf8');
    if (!readable(text)) continue;
    const lines = text.split('\n');
    const choices = lines.map((line, index) => (index > 0 && candidate(line) ? index : -1)).filter((index) => index >= 0);
    if (choices.length === 0) continue;
    used.add(file.absolute);
    const line = pick(choices);
    const indent = /^[ \t]*/.exec(lines[line])![0];
    const expected = lines[line].slice(indent.length).trimEnd();
    lines[line] = indent;
    out.push({ language, path: file.path, text: lines.join('\n'), line, character: indent.length, expected });
  }
  return out;
}
