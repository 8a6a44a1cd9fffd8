/**
 * The Factify API base URL: its default and its rules, which the function applies to FACTIFY_API_URL at
 * start-up and the stack to its factifyApiUrl prop at synth.
 */
export const DEFAULT_FACTIFY_API_URL = 'https://api.factify.com/v1';

export type FactifyApiUrlCheck = { readonly url: string } | { readonly problem: string };

/**
 * Checks a Factify API base URL: https (keys travel in its Authorization header), no credentials, query or
 * fragment, a path ending in /v1 (the API version the function speaks). `loopbackHttp` also allows plain http
 * to a loopback host, for local emulators: the function allows it, the stack does not (a deployed function's
 * loopback holds no Factify). Returns the URL without a trailing slash, or why it is refused (a clause that
 * names no part of the URL, which may hold credentials).
 */
export function checkFactifyApiUrl(
  value: string,
  { loopbackHttp }: { loopbackHttp: boolean },
): FactifyApiUrlCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'it is not an absolute URL' };
  }
  if (url.protocol !== 'https:') {
    const scheme = url.protocol.replace(':', '');
    if (!(loopbackHttp && scheme === 'http')) {
      return { problem: `it must use https, not ${scheme}: keys travel in its requests` };
    }
    if (!isLoopback(url.hostname)) return { problem: 'http is allowed only for a loopback host; use https' };
  }
  if (url.username || url.password) return { problem: 'it must not contain credentials' };
  if (url.search || url.hash) return { problem: 'it must not have a query or fragment' };
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v1')) {
    return { problem: 'its path must end with /v1, the API version the function speaks' };
  }
  return { url: `${url.origin}${path}` };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
