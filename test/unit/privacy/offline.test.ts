// onnxruntime-node's built-in telemetry stays off wherever Endless loads the runtime: the CLI and
// the worker the extension host starts. Each run happens under strace with an empty HOME; it
// must open no AF_INET/AF_INET6 socket, write nothing under HOME and leave no
// /tmp/mat-debug-<pid>.log. A control run of the bare runtime shows the checks can fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = resolve(__dirname, '../../..');
const MODEL = join(ROOT, 'test/fixtures/models/stream-a');
const PROBE = join(__dirname, 'offlineProbe.ts');
const hasStrace = spawnSync('strace', ['-V']).status === 0;
const homes: string[] = [];
// The runtime keeps its telemetry off by itself when it sees a CI system's variable (CI=true
// among them); a user's machine has none, so the children run without them.
const CI_VARIABLES = ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER'];

interface Trace {
  inetConnects: string[];
  homeFiles: string[];
  matDebugLogs: string[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Runs `node ARGS` under strace with an empty HOME and reports what it reached and wrote. */
function traced(args: string[], timeoutMs: number): Trace {
  const home = mkdtempSync(join(tmpdir(), 'endless-home-'));
  homes.push(home);
  const log = join(home, '..', `${home.split('/').pop()}.strace`);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.ORT_DISABLE_TELEMETRY;
  for (const name of CI_VARIABLES) delete env[name];
  const run = spawnSync('strace', ['-f', '-e', 'trace=connect', '-o', log, process.execPath, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  assert.equal(run.status, 0, `node ${args.join(' ')} failed:\n${run.stderr}`);
  const lines = readFileSync(log, 'utf8').split('\n');
  rmSync(log);
  const pids = new Set(lines.map((line) => line.split(' ')[0]).filter((pid) => /^\d+$/.test(pid)));
  return {
    inetConnects: lines.filter((line) => /connect\(.*AF_INET6?\b/.test(line)),
    homeFiles: filesUnder(home),
    matDebugLogs: [...pids].map((pid) => `/tmp/mat-debug-${pid}.log`).filter((path) => existsSync(path)),
  };
}

function assertOffline(trace: Trace): void {
  assert.deepEqual(trace.inetConnects, [], 'opened a network connection');
  assert.deepEqual(trace.homeFiles, [], 'wrote under HOME');
  assert.deepEqual(trace.matDebugLogs, [], 'left a mat-debug log in /tmp');
}

describe('the runtime stays offline', { skip: !hasStrace && 'strace is not installed (npm run setup installs it)' }, () => {
  after(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })));

  it('control: the bare runtime writes its telemetry store under HOME', () => {
    const trace = traced(['--import', 'tsx', PROBE, 'bare', MODEL], 60_000);
    assert.ok(
      trace.homeFiles.some((file) => file.includes('.onnxruntime')),
      `expected the runtime's telemetry files under HOME, found ${JSON.stringify(trace.homeFiles)}`,
    );
    trace.matDebugLogs.forEach((path) => rmSync(path, { force: true }));
  });

  it('the CLI generates without network, HOME writes or debug logs', () => {
    const cli = join(ROOT, 'dist/cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
    assertOffline(traced([cli, 'generate', '--model', MODEL, '--prompt', 'function add(', '--max-tokens', '4'], 60_000));
  });

  it('the worker the extension host starts stays offline past the runtime’s telemetry delay', () => {
    assertOffline(traced(['--import', 'tsx', PROBE, 'client', MODEL, '12000'], 90_000));
  });
});
