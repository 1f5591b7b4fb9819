import { z } from 'zod';

/**
 * The settings of an SMTP e-mail contributor (its `ContributorSettings`, credentials decrypted):
 *
 * - `host` (required): the SMTP server (relay or provider), e.g. `smtp.example.com`.
 * - `port`: default 587.
 * - `secure`: TLS from the first byte (SMTPS); default true on port 465, else false (STARTTLS is used
 *   when the server offers it).
 * - `user`, `password`: SMTP AUTH credentials; both or neither.
 * - `from` (required): the sender, `address@example.com` or `"Name" <address@example.com>`.
 * - `replyTo`: a Reply-To address.
 * - `maxConnections`: connections the pool keeps open to the server at most (default 5).
 * - `timeoutMs`: connection, greeting and socket (idle) timeouts, in ms (default 10,000).
 * - `tls.rejectUnauthorized`: false accepts a server certificate that does not verify (self-signed
 *   relays); default true.
 * - `messageIdDomain`: the right-hand side of the Message-ID `<KEY@messageIdDomain>` (default `hub`).
 *
 * Unknown keys are ignored. One connection pool is kept per distinct connection settings.
 */
export const SmtpSettings = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65_535).default(587),
    secure: z.boolean().optional(),
    user: z.string().min(1).max(1_024).optional(),
    password: z.string().max(1_024).optional(),
    from: z.string().min(3).max(998).regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an e-mail address, optionally with a name'),
    replyTo: z.string().min(3).max(998).regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an e-mail address').optional(),
    maxConnections: z.number().int().min(1).max(100).default(5),
    timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    tls: z.object({ rejectUnauthorized: z.boolean().optional() }).optional(),
    messageIdDomain: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a domain name').default('hub'),
  })
  .refine((s) => (s.user === undefined) === (s.password === undefined), { path: ['password'], message: 'user and password go together' });
export type SmtpSettings = z.output<typeof SmtpSettings>;

/** The nodemailer options of the pooled transport for these settings (the benchmark uses them too). */
export function poolOptions(s: SmtpSettings) {
  return {
    pool: true as const,
    host: s.host,
    port: s.port,
    secure: s.secure ?? s.port === 465,
    ...(s.user !== undefined ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    maxConnections: s.maxConnections,
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
    ...(s.tls?.rejectUnauthorized !== undefined ? { tls: { rejectUnauthorized: s.tls.rejectUnauthorized } } : {}),
  };
}

/** What makes two settings share a pool: everything about the connection (not `from`, `replyTo`, …). */
export function poolKey(s: SmtpSettings): string {
  const o = poolOptions(s);
  return JSON.stringify([o.host, o.port, o.secure, o.auth?.user, o.auth?.pass, o.maxConnections, s.timeoutMs, s.tls?.rejectUnauthorized]);
}
