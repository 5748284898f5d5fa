// The queue's Redis as the user names it (--redis, the matrix's executor.url,
// KMATRIX_REDIS_URL), parsed purely into connection options and a display form with the
// password masked: the password is never printed, logged, or stored in results.
import { KmatrixError } from '../core/errors.js';

export const REDIS_URL_FORMS =
  'redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), or unix:///PATH/TO/SOCKET';
export const REDIS_URL_ENV = 'KMATRIX_REDIS_URL';
export const REDIS_PASSWORD_ENV = 'KMATRIX_REDIS_PASSWORD';
/** A PEM file of the CA that signed the server's certificate (rediss://). */
export const REDIS_CA_ENV = 'KMATRIX_REDIS_CA';

export interface RedisTarget {
  /** The URL as people see it: any password replaced by ***. */
  display: string;
  host?: string;
  port?: number;
  /** Unix socket path. */
  path?: string;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** Replace every secret in text with ***: for messages that might quote a URL or an error. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    out = out.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join('***');
  }
  return out;
}

/** The URL with its password masked, even when it does not parse. */
export function displayUrl(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:/@]*:).*@/i, '$1***@');
}

function bad(text: string, why: string): KmatrixError {
  return new KmatrixError(
    'usage',
    `bad Redis URL ${JSON.stringify(displayUrl(text))}: ${why}; accepted: ${REDIS_URL_FORMS}`,
  );
}

export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = {}): RedisTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad(text, 'not a URL');
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'unix')
    throw bad(text, `unknown scheme ${JSON.stringify(scheme)}`);
  if (u.search || u.hash) throw bad(text, 'query strings and fragments are not accepted');
  const fromUrl = u.password ? decodeURIComponent(u.password) : undefined;
  const password = fromUrl ?? (env[REDIS_PASSWORD_ENV] || undefined);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const auth = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
  const display = displayUrl(text);
  if (scheme === 'unix') {
    const path = decodeURIComponent(u.pathname);
    if (u.host || !path.startsWith('/')) throw bad(text, 'a unix socket URL is unix:///PATH');
    return { display, path, db: 0, tls: false, ...auth };
  }
  if (!u.hostname) throw bad(text, 'no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText))
    throw bad(text, `the path must be a database number, not ${JSON.stringify(dbText)}`);
  return {
    display,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    tls: scheme === 'rediss',
    ...auth,
  };
}

/** --redis, else the matrix's executor.url, else $KMATRIX_REDIS_URL. */
export function chooseRedisUrl(
  flag: string | undefined,
  matrix: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  return flag ?? matrix ?? (env[REDIS_URL_ENV] || undefined);
}
