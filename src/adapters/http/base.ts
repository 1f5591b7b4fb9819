import { HttpTransport } from './transport.js';
import type { HttpTransportOptions } from './transport.js';

/** Options shared by the HTTP adapters: the SSRF allow list (hub configuration) and the transport's limits. */
export interface HttpAdapterOptions extends HttpTransportOptions {
  /** Share one transport (agents, allow list) between adapters; the adapter then does not close it. */
  readonly transport?: HttpTransport;
  /** Wall clock in ms (signature timestamps, Retry-After dates). */
  readonly now?: () => number;
  readonly userAgent?: string;
}

export const USER_AGENT = 'ExperienceHub/0.1';

/** What the HTTP adapters share: a transport (its own unless one is given), a clock and a user agent. */
export abstract class HttpAdapter {
  protected readonly transport: HttpTransport;
  protected readonly now: () => number;
  protected readonly userAgent: string;
  private readonly ownsTransport: boolean;

  constructor(options: HttpAdapterOptions = {}) {
    this.transport = options.transport ?? new HttpTransport(options);
    this.ownsTransport = options.transport === undefined;
    this.now = options.now ?? Date.now;
    this.userAgent = options.userAgent ?? USER_AGENT;
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }
}
