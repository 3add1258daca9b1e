// Running a chat answer against its task's unit tests: what `chat.ts` scores with, kept apart
// from the command so that the suite itself can be checked (test/unit/eval/chatSuite.test.ts).
// JavaScript runs under node as an ES module (TypeScript first has its types stripped by
// esbuild); Python under python3; each in a subprocess with a time limit.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

export interface ChatTask {
  id: string;
  language: 'javascript' | 'typescript' | 'python';
  request: string;
  tests: string;
}

/** The first fenced block of a reply (the whole reply when there is none). */
export function firstCodeBlock(reply: string): string {
  const match = /```[\w+-]*[ \t]*\n([\s\S]*?)(?:```|$)/.exec(reply);
  return (match ? match[1] : reply).trim();
}

/** A user pastes the function into a script: module syntax around it is dropped. */
function asScript(code: string): string {
  return code
    .split('\n')
    .filter((line) => !/^\s*module\.exports\b|^\s*export\s*\{|^\s*export\s+default\s+\w+;?\s*$/.test(line))
    .map((line) => line.replace(/^(\s*)export\s+(default\s+)?(?=(async\s+)?(function|const|let|class)\b)/, '$1'))
    .join('\n');
}

/** Runs `code` followed by the task's tests in `dir`; passed when the process ends normally. */
export function runTests(task: ChatTask, code: string, dir: string, python = 'python3'): { passed: boolean; error: string } {
  let file: string;
  let command: string;
  if (task.language === 'python') {
    file = join(dir, `${task.id}.py`);
    writeFileSync(file, `${code}\n\n${task.tests}\nprint("ok")\n`);
    command = python;
  } else {
    let js = asScript(code);
    if (task.language === 'typescript') {
      try {
        js = transformSync(js, { loader: 'ts', format: 'esm' }).code;
      } catch (err) {
        return { passed: false, error: `does not compile: ${(err as Error).message.split('\n')[0]}` };
      }
    }
    file = join(dir, `${task.id}.mjs`);
    writeFileSync(file, `import assert from 'node:assert';\n${js}\n${task.tests}\nconsole.log('ok');\n`);
    command = process.execPath;
  }
  const run = spawnSync(command, [file], { cwd: dir, timeout: 10_000, encoding: 'utf8' });
  const passed = run.status === 0 && run.stdout.trim().endsWith('ok');
  return { passed, error: passed ? '' : (run.stderr || String(run.error ?? '')).trim().split('\n').slice(-3).join(' | ').slice(0, 300) };
}
