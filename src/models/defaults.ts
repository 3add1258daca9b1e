// Defaults of model downloads, in one place: the settings schema (package.json), the settings
// validator and the download code all read them from here.

export const HUB_DEFAULTS = {
  /** Where models are fetched from; a mirror serves the same paths. */
  endpoint: 'https://huggingface.co',
  /** Reconnections per file after a dropped connection, each resuming where the last stopped. */
  retries: 4,
  /** First wait before reconnecting; doubles per attempt. */
  retryDelayMs: 1000,
  /** A connection that delivers no byte for this long counts as dropped. */
  stallTimeoutMs: 30_000,
  /** Room left free on the disk besides the download itself. */
  diskMarginBytes: 512 * 2 ** 20,
  /** Progress reports per second at most. */
  progressPerSecond: 4,
  /** Seconds of transfer the speed (and so the ETA) is averaged over. */
  speedWindowSeconds: 5,
} as const;
