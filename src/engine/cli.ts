// `endless`: the engine from a terminal, for evaluation and benchmarks. Each command lives in
// its own file under cli/; this file parses the command line and reports errors.
import { parseArgs } from 'node:util';
import { EngineInputError } from './errors';
import { OPTIONS, type Values } from './cli/args';
import { checkCacheCommand } from './cli/checkCacheCommand';
import { generateCommand } from './cli/generateCommand';
import { pplCommand } from './cli/pplCommand';

const USAGE = `usage:
  endless generate --model DIR (--prompt TEXT | --prompt-file FILE) [--max-tokens N] [--time-budget SECONDS] [--stream chat|editor] [--temperature T] [--seed N] [--system TEXT]
  endless ppl --model DIR --text FILE --mode sink|window|dense|recompute --sinks S --window W
  endless check-cache --model DIR --text FILE --sinks S --window W
common options: --json  --threads N (0 lets the engine choose; at most the machine's cores)  (--model defaults to the bundled model)`;

const COMMANDS: Record<string, (values: Values) => Promise<void>> = {
  generate: generateCommand,
  ppl: pplCommand,
  'check-cache': checkCacheCommand,
};

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    if (!command && !values.help) process.exitCode = 2;
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new EngineInputError(`unknown command "${command}"\n${USAGE}`);
  await run(values);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`endless: ${message}\n`);
  process.exitCode = 1;
});
