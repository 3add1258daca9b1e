// Collects a reply's tokens and hands them on at most once per frame. Posting each token to the
// webview on its own costs a message through the extension host, the workbench and the panel's
// page per token, on the same cores that decode the next one.
/** About one frame of a 30 Hz display: fast enough to look live, few enough to cost nothing. */
export const TOKEN_FRAME_MS = 32;

export class TokenBatcher {
  private id: string | undefined;
  private pieces: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deliver: (id: string, text: string) => void,
    private readonly frameMs = TOKEN_FRAME_MS,
  ) {}

  /** Queues `text` for message `id`; text queued for another message is delivered first. */
  add(id: string, text: string): void {
    if (this.id !== id) this.flush();
    this.id = id;
    this.pieces.push(text);
    this.timer ??= setTimeout(() => this.flush(), this.frameMs);
  }

  /** Delivers what is queued now (before any other message to the panel, to keep the order). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { id, pieces } = this;
    this.pieces = [];
    if (id !== undefined && pieces.length > 0) this.deliver(id, pieces.join(''));
  }

  /** Drops what is queued (the panel went away). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pieces = [];
  }
}
