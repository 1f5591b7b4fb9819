import { readFileSync } from 'node:fs';
import { validatePolicy, type ContactPolicy } from '../core/arbitration/policy.js';
import { explain } from '../core/arbitration/explain.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import { deployPolicy } from '../engine/policies.js';
import { atLines, formatFileError, parseJourneyFile, type FileError } from './journey-files.js';
import { withHub, type HubOptions } from './with-hub.js';

/** Reads and validates a policy file (YAML or JSON); prints FILE:LINE:COL PATH: MESSAGE for each error. */
export function readPolicy(file: string): ContactPolicy | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.exitCode = 1;
    console.error(`${file}: ${(e as Error).message}`);
    return undefined;
  }
  const parsed = parseJourneyFile(file, text);
  if (!parsed.ok) return failed(parsed.error);
  const valid = validatePolicy(parsed.value.input);
  return valid.ok ? valid.value : failed(atLines(parsed.value, valid.error));
}

function failed(errors: readonly FileError[]): undefined {
  process.exitCode = 1;
  for (const e of errors) console.error(formatFileError(e));
  return undefined;
}

/** `xhub policy validate FILE`: checks a contact policy file, touching no hub. */
export function policyValidateCommand(file: string): void {
  if (readPolicy(file)) console.log(`${file}: valid contact policy`);
}

/** `xhub policy deploy FILE`: deploys the policy as the workspace's new version. */
export async function policyDeployCommand(file: string, opts: HubOptions): Promise<void> {
  const policy = readPolicy(file);
  if (!policy) return;
  await withHub(opts, async (hub) => {
    const r = await deployPolicy(hub, opts.workspace, policy);
    if (!r.ok) throw new Error(r.error.map((e) => `${e.path}: ${e.message}`).join('\n'));
    console.log(`deployed contact policy version ${r.value.version} to workspace ${opts.workspace}`);
  });
}

/** `xhub policy show`: the policy in force. */
export async function policyShowCommand(opts: HubOptions): Promise<void> {
  await withHub(opts, async (hub) => {
    const p = await hub.store.policies.current(opts.workspace);
    console.log(p ? `version ${p.version} (deployed ${new Date(p.createdAt).toISOString()})` : 'version 0: the default (no policy deployed)');
    console.log(JSON.stringify(p?.policy ?? hub.policies.of(opts.workspace).policy, null, 2));
  });
}

interface WhyOptions extends HubOptions {
  journey?: string;
  limit: number;
  json?: boolean;
}

/** `xhub why TYPE VALUE [--journey J]`: the profile's recent decisions, each candidate with why it won or lost. */
export async function whyCommand(type: string, value: string, opts: WhyOptions): Promise<void> {
  await withHub(opts, async (hub) => {
    const profile = await hub.store.reader.byIdentifier(opts.workspace, normalizeIdentifier({ type, value }, hub.config.identity));
    if (!profile) throw new Error(`no profile with identifier ${type}=${value}`);
    const page = await hub.store.decisions.ofProfile(opts.workspace, profile.id, { limit: opts.limit });
    const decisions = page.decisions.filter((d) => opts.journey === undefined || d.candidates.some((c) => c.candidate.journeyId === opts.journey));
    if (opts.json) return console.log(JSON.stringify(decisions, null, 2));
    console.log(`decisions for ${type} ${value} (profile ${profile.id}), newest first${opts.journey ? `, with journey ${opts.journey}` : ''}:`);
    if (decisions.length === 0) console.log('  none');
    for (const d of decisions) {
      console.log(`\n${new Date(d.at).toISOString()}  ${d.source === 'decide' ? `decision API, placement ${d.placement ?? '?'}` : 'journeys'}  ${d.id}  (policy v${d.policyVersion})`);
      for (const { candidate: c, outcome: o, trace: t } of d.candidates) {
        if (opts.journey !== undefined && c.journeyId !== opts.journey) continue;
        const what = c.item ? `item ${c.item.id}` : `${c.journeyId} v${c.version} / ${c.stepId}`;
        const channel = t.channel ?? c.channel;
        console.log(`  ${mark[o.outcome]} ${what} (${channel}, ${c.purpose}, template ${c.template})`);
        console.log(`      ${explain(t)}`);
      }
    }
  });
}

const mark = { sent: '✓', deferred: '…', rejected: '✗' } as const;
