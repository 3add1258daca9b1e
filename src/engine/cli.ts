// `endless`: the engine from a terminal, for evaluation and benchmarks. Each command lives in
// its own file under cli/; this file parses the command line and reports errors.
import { parseArgs } from 'node:util';
import { EngineInputError } from './errors';
import { OPTIONS, type Values } from './cli/args';
import { checkCacheCommand } from './cli/checkCacheCommand';
import { generateCommand } from './cli/generateCommand';
import { pplCommand } from './cli/pplCommand';
import { completeCommand } from './cli/completeCommand';
import { defaultModelDir } from './packageRoot';
import { numberArg } from './cli/args';

const USAGE = `usage:
  endless generate --model DIR (--prompt TEXT | --prompt-file FILE) [--max-tokens N] [--time-budget SECONDS] [--stream chat|editor] [--temperature T] [--seed N] [--system TEXT] [--ignore-eos]
  endless ppl --model DIR [--onnx FILE] --text FILE --mode sink|window|dense|recompute --sinks S --window W
  endless check-cache --model DIR [--onnx FILE] --text FILE --sinks S --window W
    (--onnx picks one graph of DIR/onnx by name, e.g. model_fp16.onnx; model.onnx by default)
  endless complete --model DIR --file F --line L --column C   (1-based, as the editor shows them)
common options: --json  --threads N (0 lets the engine choose; at most the machine's cores)  (--model defaults to the bundled model)`;

const COMMANDS: Record<string, (values: Values) => Promise<void>> = {
  generate: generateCommand,
  ppl: pplCommand,
  'check-cache': checkCacheCommand,
  complete: (values) =>
    completeCommand({ file: values.file, line: values.line, column: values.column, model: values.model ?? defaultModelDir(), threads: numberArg(values, 'threads', 0), json: Boolean(values.json) }),
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
