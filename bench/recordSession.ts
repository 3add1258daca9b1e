// Writes bench/completion-session.json, the editing session that bench/completion.ts replays:
// real code typed character by character into the sample workspace's files, with the timing of a
// person at the keyboard (seeded, so the file is reproducible): ~8 keys a second with spread,
// longer pauses at line ends, the odd typo taken back with Backspace, and cursor moves up into
// code already written (to change it) and back. A newline arrives with the indentation of the
// next line, as the editor's auto-indent inserts it.
//   node --import tsx bench/recordSession.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/engine/packageRoot';
import { seededRandom } from '../src/engine/sampler';

const ROOT = packageRoot(__dirname);

/** One event: [ms since the start, file, operation, argument]. */
export type SessionEvent =
  | [number, string, 'open', number] // switch to the file, cursor at this offset
  | [number, string, 'type', string] // insert at the cursor
  | [number, string, 'delete', number] // Backspace this many characters
  | [number, string, 'move', number]; // cursor to this offset

export interface Session {
  description: string;
  /** The files as they are when the session starts. */
  files: Record<string, string>;
  events: SessionEvent[];
}

/** What is typed where: appended at the end of a file, and edits made after moving up. */
const PLAN: { file: string; code: string; revisit?: { find: string; insert: string } }[] = [
  {
    file: 'src/shapes.ts',
    code: `
export function perimeter(points: Point[]): number {
  let total = 0;
  for (let i = 0; i < points.length; i++) {
    total += distance(points[i], points[(i + 1) % points.length]);
  }
  return total;
}
`,
    revisit: { find: 'let total = 0;', insert: '\n  if (points.length < 2) return 0;' },
  },
  {
    file: 'src/stats.py',
    code: `

def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
`,
    revisit: { find: 'ordered = sorted(values)', insert: '\n    if not values:\n        raise ValueError("median of no values")' },
  },
  {
    file: 'src/shapes.ts',
    code: `
export function boundingBox(points: Point[]): { min: Point; max: Point } {
  const min = { x: Infinity, y: Infinity };
  const max = { x: -Infinity, y: -Infinity };
  for (const p of points) {
    min.x = Math.min(min.x, p.x);
    min.y = Math.min(min.y, p.y);
    max.x = Math.max(max.x, p.x);
    max.y = Math.max(max.y, p.y);
  }
  return { min, max };
}
`,
  },
];

function record(): Session {
  const rand = seededRandom(20261129);
  const keyGap = () => 55 + Math.round(-Math.log(1 - rand()) * 70);
  const files: Record<string, string> = {};
  for (const { file } of PLAN) files[file] = readFileSync(join(ROOT, 'test/workspace', file), 'utf8');
  const text = { ...files };
  const events: SessionEvent[] = [];
  let t = 0;
  let cursor = 0;

  /** Types `code` at the cursor, a newline together with the next line's indentation. */
  const type = (file: string, code: string) => {
    for (let i = 0; i < code.length; i++) {
      let piece = code[i];
      if (piece === '\n') {
        const indent = /^[ ]*/.exec(code.slice(i + 1))![0];
        piece += indent;
        i += indent.length;
        t += 250 + Math.round(rand() * 900);
      } else {
        t += keyGap();
        if (/[a-z]/.test(piece) && rand() < 0.02) {
          // A typo, seen and taken back.
          events.push([t, file, 'type', 'q']);
          t += 180 + Math.round(rand() * 250);
          events.push([t, file, 'delete', 1]);
          t += keyGap();
        }
      }
      events.push([t, file, 'type', piece]);
      text[file] = text[file].slice(0, cursor) + piece + text[file].slice(cursor);
      cursor += piece.length;
    }
  };

  for (const step of PLAN) {
    t += 1500;
    cursor = text[step.file].length;
    events.push([t, step.file, 'open', cursor]);
    type(step.file, step.code.replace(/^\n/, text[step.file].endsWith('\n') ? '' : '\n'));
    if (step.revisit) {
      t += 1200;
      cursor = text[step.file].indexOf(step.revisit.find) + step.revisit.find.length;
      events.push([t, step.file, 'move', cursor]);
      type(step.file, step.revisit.insert);
      t += 900;
      cursor = text[step.file].length;
      events.push([t, step.file, 'move', cursor]);
    }
  }
  return {
    description:
      'Real code typed into the sample workspace (test/workspace) key by key with a typist\'s timing, typos and cursor moves; written by bench/recordSession.ts.',
    files,
    events,
  };
}

if (require.main === module) {
  const session = record();
  const out = join(ROOT, 'bench', 'completion-session.json');
  writeFileSync(out, JSON.stringify(session) + '\n');
  const typed = session.events.filter((e) => e[2] === 'type').length;
  console.log(`${out}: ${session.events.length} events, ${typed} keystrokes, ${(session.events.at(-1)![0] / 1000).toFixed(0)} s`);
}
