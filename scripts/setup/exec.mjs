// Small process helpers shared by the set-up steps and the test runner.
import { spawn } from 'node:child_process';

/**
 * Runs a command, streaming its output with a prefix, and resolves with its exit code.
 * stdin is closed: nothing here may wait for an answer (CI has no terminal).
 */
export function run(command, args, { cwd, env, label = command, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const forward = (stream, out) => {
      let partial = '';
      stream.on('data', (chunk) => {
        const text = partial + chunk.toString();
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          tail = (tail + line + '\n').slice(-8000);
          if (!quiet) out.write(`[${label}] ${line}\n`);
        }
      });
      stream.on('end', () => {
        if (partial) {
          tail = (tail + partial).slice(-8000);
          if (!quiet) out.write(`[${label}] ${partial}\n`);
        }
      });
    };
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), tail }));
  });
}

/** Like run(), but throws with the output's tail when the command fails. */
export async function mustRun(command, args, options = {}) {
  const { code, tail } = await run(command, args, options);
  if (code !== 0) {
    const shown = options.quiet ? `\n${tail}` : '';
    throw new Error(`\`${command} ${args.join(' ')}\` exited with ${code}${shown}`);
  }
}

/** Measures an async step and logs its duration. */
export async function timed(name, step) {
  const start = Date.now();
  const result = await step();
  const seconds = (Date.now() - start) / 1000;
  console.log(`[setup] ${name}: ${seconds.toFixed(1)} s`);
  return { result, seconds };
}
