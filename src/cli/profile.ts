import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import { startHub } from '../engine/hub.js';
import { timelineItems } from '../engine/timeline.js';
import { DEFAULT_WORKSPACE } from '../engine/keys.js';

interface ProfileOptions {
  data?: string;
  config?: string;
  limit: number;
  json?: boolean;
}

export async function profileCommand(type: string, value: string, opts: ProfileOptions): Promise<void> {
  const config = loadConfig({ dataDir: opts.data, config: opts.config }, process.env);
  const hub = await startHub(config, pino({ level: 'warn' }));
  try {
    await hub.processor.processed(await hub.store.log.head());
    const profile = await hub.store.reader.byIdentifier(DEFAULT_WORKSPACE, normalizeIdentifier({ type, value }, config.identity));
    if (!profile) {
      process.exitCode = 1;
      console.error(`no profile with identifier ${type}=${value} in ${config.dataDir}`);
      return;
    }
    const positions = await hub.store.reader.timeline(DEFAULT_WORKSPACE, profile.id, opts.limit);
    const timeline = await timelineItems(hub.store, positions);
    if (opts.json) return console.log(JSON.stringify({ profile, timeline }, null, 2));
    console.log(`profile ${profile.id}  (created ${profile.createdAt}, updated ${profile.updatedAt})`);
    console.log(`identifiers: ${profile.identifiers.map((i) => `${i.type}=${i.value}`).join(', ')}`);
    if (profile.mergedFrom.length > 0) console.log(`merged from: ${profile.mergedFrom.join(', ')}`);
    console.log(`traits: ${JSON.stringify(profile.traits)}`);
    for (const g of profile.groups) console.log(`group ${g.groupId}: ${JSON.stringify(g.traits)}`);
    console.log(`\ntimeline (newest first, ${timeline.length} shown):`);
    for (const t of timeline) {
      const what = t.type === 'track' ? `track "${String(t.event)}"` : t.type === 'page' || t.type === 'screen' ? `${String(t.type)} ${String(t.name ?? '')}` : String(t.type);
      const data = t.properties ?? t.traits;
      console.log(`  ${String(t.timestamp)}  ${what}${data ? `  ${JSON.stringify(data)}` : ''}`);
    }
  } finally {
    await hub.close();
  }
}
