import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import { AllowList, cachingResolver, checkDestination, checkWithoutDns, pinnedLookup, systemResolver } from './ssrf.js';
import type { Destination, Resolver } from './ssrf.js';

/** One POST to a contributor. */
export interface HttpPost {
  readonly url: string | URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** What the receiver answered (its body cut at `maxAnswerBytes`). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An answer, or a fault before one: refused by the SSRF guard, DNS, connection, timeout. */
export type HttpOutcome =
  | { readonly kind: 'answered'; readonly answer: HttpAnswer }
  | { readonly kind: 'fault'; readonly error: string; readonly retryable: boolean };

export interface HttpTransportOptions {
  /** Non-public destinations the hub may call anyway (addresses, CIDR networks, host names): hub configuration. */
  readonly allow?: readonly string[];
  /** How host names are resolved (default: dns.lookup, each answer kept `dnsCacheMs`). */
  readonly resolve?: Resolver;
  readonly dnsCacheMs?: number;
  /** Sockets per origin at most (keep-alive). */
  readonly maxSockets?: number;
  readonly maxAnswerBytes?: number;
}

type Exchange = HttpOutcome | { readonly kind: 'stale' };

/**
 * POSTs over node's http/https with a keep-alive agent per origin, to the address the SSRF guard
 * checked (pinned, so DNS rebinding cannot redirect it), within a deadline that covers the DNS lookup,
 * the connection and the whole answer. Redirects are answers, never followed.
 */
export class HttpTransport {
  private readonly allow: AllowList;
  private readonly resolve: Resolver;
  private readonly maxSockets: number;
  private readonly maxAnswerBytes: number;
  private readonly agents = new Map<string, http.Agent>();

  constructor(options: HttpTransportOptions = {}) {
    this.allow = new AllowList(options.allow ?? []);
    this.resolve = options.resolve ?? cachingResolver(systemResolver, options.dnsCacheMs ?? 5_000);
    this.maxSockets = options.maxSockets ?? 128;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 64 * 1024;
  }

  post(request: HttpPost): Promise<HttpOutcome> {
    const deadline = Date.now() + request.timeoutMs;
    const literal = checkWithoutDns(request.url, this.allow);
    if (literal !== undefined) return this.deliver(literal, request, deadline);
    const checked = checkDestination(request.url, { allow: this.allow, resolve: this.resolve });
    return beforeDeadline(checked, deadline, request.timeoutMs).then((d) => this.deliver(d, request, deadline));
  }

  private async deliver(destination: Destination, request: HttpPost, deadline: number): Promise<HttpOutcome> {
    if (!destination.ok) return fault(destination.error, destination.retryable);
    const first = await this.exchange(destination, request, deadline);
    if (first.kind !== 'stale') return first;
    // A kept-alive socket the receiver had closed meanwhile: once more, on a fresh one.
    const second = await this.exchange(destination, request, deadline);
    return second.kind === 'stale' ? fault('connection reset (ECONNRESET)', true) : second;
  }

  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agent(url: URL): http.Agent {
    let agent = this.agents.get(url.origin);
    if (agent === undefined) {
      const options = { keepAlive: true, maxSockets: this.maxSockets, scheduling: 'lifo' as const };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(url.origin, agent);
    }
    return agent;
  }

  /** One request; the deadline destroys it (and its answer) when it passes: a timer, cheaper than an AbortSignal per request. */
  private exchange(destination: Destination & { ok: true }, post: HttpPost, deadline: number): Promise<Exchange> {
    const { url, address, family } = destination;
    return new Promise<Exchange>((resolve) => {
      let req: http.ClientRequest;
      try {
        req = (url.protocol === 'https:' ? https : http).request(url, {
          method: 'POST',
          agent: this.agent(url),
          headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
          lookup: pinnedLookup(address, family),
        });
      } catch (e) {
        resolve(fault(`invalid request: ${(e as Error).message}`, false));
        return;
      }
      let timedOut = false;
      const timer = setTimeout(() => ((timedOut = true), req.destroy()), Math.max(1, deadline - Date.now()));
      const done = (outcome: Exchange): void => (clearTimeout(timer), resolve(outcome));
      const failed = (error: string, stale: boolean): void =>
        done(timedOut ? fault(`no answer within ${post.timeoutMs} ms (timeout)`, true) : stale ? { kind: 'stale' } : fault(error, true));
      req.on('error', (e) => failed(describe(e), isStale(e, req)));
      req.on('response', (res) => {
        readAnswer(res, this.maxAnswerBytes).then(
          (answer) => done({ kind: 'answered', answer }),
          (e: unknown) => failed(`HTTP ${res.statusCode} answer cut short: ${describe(e)}`, false),
        );
      });
      req.end(post.body);
    });
  }
}

/** The destination check, or a retryable fault when DNS has not answered by the deadline. */
function beforeDeadline(checked: Promise<Destination>, deadline: number, timeoutMs: number): Promise<Destination> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Destination>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `no DNS answer within ${timeoutMs} ms (timeout)`, retryable: true }), Math.max(1, deadline - Date.now()));
  });
  return Promise.race([checked, late]).finally(() => clearTimeout(timer));
}

const fault = (error: string, retryable: boolean): HttpOutcome => ({ kind: 'fault', error, retryable });

function isStale(e: unknown, req: http.ClientRequest): boolean {
  return req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET';
}

function describe(e: unknown): string {
  const { code, message } = e as NodeJS.ErrnoException;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/** Reads the whole answer (so the socket can be reused), keeping its first `limit` bytes. */
function readAnswer(res: IncomingMessage, limit: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    res.on('data', (chunk: Buffer) => {
      if (kept >= limit) return;
      chunks.push(kept + chunk.length > limit ? chunk.subarray(0, limit - kept) : chunk);
      kept += chunk.length;
    });
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('connection closed'));
    });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
}
