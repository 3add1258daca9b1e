// Entry point of the engine's worker thread (dist/worker.js). Inference runs here because
// session.run is a synchronous native call: on the extension host's main thread it would
// freeze the editor.
import { parentPort } from 'node:worker_threads';
import { Dispatcher } from './dispatch';
import type { HostToWorker } from './protocol';

if (!parentPort) throw new Error('worker.ts must run inside a worker thread');
const port = parentPort;
/** Exit code of a crash on request (EX_SOFTWARE): the host restarts the worker as after any crash. */
const CRASH_EXIT_CODE = 70;
const dispatcher = new Dispatcher(
  (message) => port.postMessage(message),
  () => port.close(),
  // In a worker thread, process.exit ends this thread only.
  () => process.exit(CRASH_EXIT_CODE),
);
port.on('message', (message: HostToWorker) => dispatcher.handle(message));
