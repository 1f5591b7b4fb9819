/** Where processing stands in the log: its cursor (processed up to), the head (appended up to), and who waits for the cursor. */
export class LogPosition {
  cursor = 0;
  head = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];

  get lag(): number {
    return Math.max(0, this.head - this.cursor);
  }

  get position(): { cursor: number; head: number } {
    return { cursor: this.cursor, head: this.head };
  }

  /** Raises the head to `head`; answers whether it moved. */
  seen(head: number): boolean {
    if (head <= this.head) return false;
    this.head = head;
    return true;
  }

  /** Resolves once the cursor reached `seq`. */
  reached(seq: number): Promise<void> {
    if (this.cursor >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Processing committed up to `cursor`: who waited for it goes on. */
  advance(cursor: number): void {
    this.cursor = cursor;
    this.waiters = this.waiters.filter((w) => (w.seq <= cursor ? (w.resolve(), false) : true));
  }
}

/** What processing answers of its position, wherever it runs (the processor and its thread keep it in `at`). */
export abstract class FollowsLog {
  protected readonly at = new LogPosition();

  /** Events appended and not yet processed. */
  get lag(): number {
    return this.at.lag;
  }

  get position(): { cursor: number; head: number } {
    return this.at.position;
  }

  /** Resolves once every event up to `seq` is processed. */
  processed(seq: number): Promise<void> {
    return this.at.reached(seq);
  }
}
