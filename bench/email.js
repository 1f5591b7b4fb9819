// E-mail benchmark (issue 7): messages/s through the SMTP contributor adapter (`SmtpEmail`: settings
// parsed and cached, pool looked up, Message-ID / List-Unsubscribe headers, failures classified) against
// a raw nodemailer loop on the same pooled transport options, both to a local smtp-server in this process,
// with the same number of sends in flight. The rounds alternate (raw, hub, raw, hub…) and each side keeps
// its best round. Target: the adapter at ≥ 80 % of raw nodemailer.
// Run: `npm run build && node bench/email.js [--seconds 3] [--rounds 3] [--concurrency 50] [--connections 5]`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { SmtpEmail } from '../dist/adapters/smtp/email.js';
import { poolOptions, SmtpSettings } from '../dist/adapters/smtp/settings.js';
import { fmt, isMain, pct, verdict } from './lib.js';

const TARGET = 0.8;

const HTML = `<html><body><h1>Hello Ada</h1>${'<p>Our spring collection is here: linen, cotton and a few surprises. </p>'.repeat(20)}<a href="https://hub.example/t/c/abc">Shop</a><img src="https://hub.example/t/o/abc.gif" width="1" height="1" alt="" /></body></html>`;
const TEXT = 'Hello Ada\n\nOur spring collection is here: linen, cotton and a few surprises.\n'.repeat(10);

async function startServer() {
  let received = 0;
  const server = new SMTPServer({
    logger: false, disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true, size: 10 * 1024 * 1024,
    onData(stream, _session, cb) {
      stream.on('end', () => (received++, cb(null, 'queued')));
      stream.resume();
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.server.address().port, received: () => received, stop: () => new Promise((resolve) => server.close(resolve)) };
}

const message = (i) => ({
  key: `act_${i}`, channel: 'email', to: `user${i % 1000}@example.com`, subject: `Spring is here, Ada (${i})`, html: HTML, text: TEXT,
  unsubscribeUrl: `https://hub.example/u/${i}`, meta: { workspaceId: 'ws_default', profileId: `prof_${i}` },
});

/** Keeps `concurrency` sends in flight for `seconds`; answers messages/s (every send must succeed). */
async function drive(send, { seconds, concurrency }) {
  let next = 0;
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      await send(next++);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

export async function runEmail({ seconds = 3, rounds = 3, concurrency = 50, connections = 5 } = {}) {
  console.log(`\n== E-mail: SmtpEmail vs raw nodemailer, pooled (${connections} connections), ${concurrency} sends in flight, to a local smtp-server ==`);
  const server = await startServer();
  const settings = { host: '127.0.0.1', port: server.port, from: '"Hub" <hub@example.com>', maxConnections: connections, timeoutMs: 10_000 };
  const raw = createTransport(poolOptions(SmtpSettings.parse(settings)));
  const hub = new SmtpEmail();
  const sendRaw = async (i) => {
    const m = message(i);
    await raw.sendMail({
      from: settings.from, to: m.to, subject: m.subject, html: m.html, text: m.text, messageId: `<${m.key}@hub>`,
      headers: { 'X-Hub-Message-Key': m.key, 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
  };
  const sendHub = async (i) => {
    const r = await hub.send(message(i), settings);
    if (!r.ok) throw new Error(`send failed: ${r.error}`);
  };
  try {
    await drive(sendRaw, { seconds: 0.5, concurrency });
    await drive(sendHub, { seconds: 0.5, concurrency });
    const best = { raw: 0, hub: 0 };
    for (let round = 1; round <= rounds; round++) {
      const r = await drive(sendRaw, { seconds, concurrency });
      const h = await drive(sendHub, { seconds, concurrency });
      best.raw = Math.max(best.raw, r);
      best.hub = Math.max(best.hub, h);
      console.log(`  round ${round}: raw nodemailer ${fmt(r)} emails/s, SmtpEmail ${fmt(h)} emails/s`);
    }
    const ratio = best.hub / best.raw;
    console.log(`  best: raw nodemailer ${fmt(best.raw)} emails/s; SmtpEmail ${fmt(best.hub)} emails/s; the server received ${fmt(server.received())} messages`);
    console.log(`  SmtpEmail at ${pct(ratio)} of raw nodemailer (target ≥ ${pct(TARGET)}) ${verdict(ratio >= TARGET)}`);
    return { raw: best.raw, hub: best.hub, ratio };
  } finally {
    raw.close();
    await hub.close();
    await server.stop();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' }, connections: { type: 'string' } } });
  await runEmail({
    seconds: Number(values.seconds ?? 3), rounds: Number(values.rounds ?? 3),
    concurrency: Number(values.concurrency ?? 50), connections: Number(values.connections ?? 5),
  });
}
