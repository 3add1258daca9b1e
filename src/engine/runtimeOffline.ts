// onnxruntime-node ships with telemetry switched on: every process that loads it writes a device
// id and an event queue under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/, leaves
// /tmp/mat-debug-<pid>.log and later tries to reach an events host. The native library reads
// ORT_DISABLE_TELEMETRY from the real process environment, which only a process's main thread
// can change: a Worker's `process.env` is a private copy. So this module is imported before
// onnxruntime by every entry point that may load it (the decoder, for the CLI, benchmarks and
// tests; the engine client, on the extension host's main thread, before it starts the worker).
export const TELEMETRY_SWITCH = 'ORT_DISABLE_TELEMETRY';

process.env[TELEMETRY_SWITCH] = '1';
