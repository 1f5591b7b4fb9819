import { z } from 'zod';

/** Any origin: the default, as Segment does for write keys (a write key is public: it sits in every page). */
export const ANY_ORIGIN = '*';

const ORIGIN_PATTERN = /^https?:\/\/(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](?::\d{1,5})?$/;

/**
 * One allowed origin: `*` (any), an exact origin (`https://shop.example.com`, `http://localhost:3000`),
 * or every subdomain of a domain (`https://*.example.com`). Scheme and host are compared in lower case;
 * an explicit default port (`:443` for https, `:80` for http) is dropped, as browsers drop it from `Origin`.
 */
export const AllowedOrigin = z
  .string()
  .max(255)
  .transform((s) => normalizeOrigin(s.trim()))
  .refine((s) => s === ANY_ORIGIN || (ORIGIN_PATTERN.test(s) && validPort(s)), {
    message: "must be '*', an origin such as 'https://shop.example.com' (scheme, host, optional port; no path), or 'https://*.example.com'",
  });

/** A workspace's own settings, changed by its admins (`PUT /v1/workspace/settings`). */
export const WorkspaceSettings = z.strictObject({
  allowedOrigins: z
    .array(AllowedOrigin)
    .max(100)
    .describe("origins whose web pages may send events with this workspace's write keys; ['*'] (the default) allows any, [] none"),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

export const DEFAULT_WORKSPACE_SETTINGS: WorkspaceSettings = { allowedOrigins: [ANY_ORIGIN] };

/** Whether a browser's `Origin` header value is allowed by a list of allowed origins. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const o = normalizeOrigin(origin);
  return allowed.some((a) => a === ANY_ORIGIN || a === o || subdomainOf(o, a));
}

/** `https://a.b.example.com` matches `https://*.example.com`; `https://example.com` does not. */
function subdomainOf(origin: string, pattern: string): boolean {
  const m = /^(https?:\/\/)\*(\..+)$/.exec(pattern);
  if (!m) return false;
  const [, scheme = '', suffix = ''] = m;
  if (!origin.startsWith(scheme) || !origin.endsWith(suffix)) return false;
  return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(origin.slice(scheme.length, origin.length - suffix.length));
}

function normalizeOrigin(s: string): string {
  const lower = s.toLowerCase();
  if (lower.startsWith('https://') && lower.endsWith(':443')) return lower.slice(0, -4);
  if (lower.startsWith('http://') && lower.endsWith(':80')) return lower.slice(0, -3);
  return lower;
}

function validPort(s: string): boolean {
  const m = /:(\d{1,5})$/.exec(s);
  return m === null || Number(m[1]) <= 65535;
}
