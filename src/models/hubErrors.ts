// Why a download stopped, in words the user can act on. `kind` lets the UI offer the fix
// (set a token, check the connection) without parsing the message.

export type HubErrorKind =
  /** The endpoint could not be reached at all (no network, DNS, refused connection). */
  | 'offline'
  /** The repository, revision or file does not exist there. */
  | 'notFound'
  /** Access needs a token (none was given) or the token was refused. */
  | 'auth'
  /** The file arrived but is not the one the Hub lists (size or hash). */
  | 'integrity'
  /** Not enough free disk space for the download. */
  | 'disk'
  /** The user cancelled; what arrived is kept to resume. */
  | 'cancelled'
  /** Any other HTTP status or a malformed answer. */
  | 'http';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly kind: HubErrorKind,
  ) {
    super(message);
  }
}

const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system error code behind a failed fetch (undici wraps it in `cause`). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when a fetch failed before any answer because the host cannot be reached. */
export function isUnreachable(error: unknown): boolean {
  const code = networkCode(error);
  return code !== undefined && OFFLINE_CODES.has(code);
}
