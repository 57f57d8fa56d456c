// The one way both apps talk to the server: JSON in and out, the bearer token, errors as ApiError
// with the server's stable code, and safe retries of idempotent requests over weak networks.

import { session } from './auth.js';

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.error?.message || `请求失败（${status}）`);
    this.status = status;
    this.code = body?.error?.code || (status === 0 ? 'offline' : 'error');
    this.body = body;
    this.retryAfter = retryAfter;
  }
  /** Problems of a form (`fields`) or of a file (`problems`). */
  get details() { return this.body?.error?.fields || this.body?.error?.problems || []; }
}

/** Called when the server says the sign-in has ended (401 outside /auth/). */
let onSignedOut = () => {};
export function whenSignedOut(f) { onSignedOut = f; }

/**
 * One request to /api/v1. `retries`: how often a request that got no answer at all (network
 * trouble) is sent again, with backoff; only for requests that are safe to repeat.
 * `raw`: a body sent as it is (a file), with `contentType`.
 */
export async function api(method, path, body, { retries = 0, raw = false, contentType, timeoutMs = 20000 } = {}) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = raw ? (contentType || 'application/octet-stream') : 'application/json';
  for (let attempt = 0; ; attempt++) {
    // The phone knows it has no network: say so at once instead of waiting for a timeout.
    if (!navigator.onLine && attempt >= retries) throw new ApiError(0, { error: { code: 'offline', message: '' } });
    if (!navigator.onLine) { await new Promise(r => setTimeout(r, Math.min(8000, 500 * 2 ** attempt))); continue; }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await fetch(`/api/v1${path}`, {
        method, headers, signal: abort.signal, credentials: 'same-origin',
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch { data = null; }
      if (res.status === 401 && session.token && !path.startsWith('/auth/')) { session.forget(); onSignedOut(); }
      if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get('Retry-After')) || undefined);
      return data;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (attempt >= retries) {
        throw new ApiError(0, { error: { code: e?.name === 'AbortError' ? 'timeout' : 'offline', message: '' } });
      }
      await new Promise(r => setTimeout(r, Math.min(8000, 500 * 2 ** attempt)));
    } finally {
      clearTimeout(timer);
    }
  }
}
