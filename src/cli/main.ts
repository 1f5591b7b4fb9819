#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { contributorsAddCommand, contributorsListCommand, dlqCommand, mailboxCommand } from './delivery.js';
import { importCommand } from './import.js';
import { journeysDeployCommand, journeysDiffCommand, journeysSchemaCommand, journeysValidateCommand } from './journeys.js';
import { policyDeployCommand, policyShowCommand, policyValidateCommand, whyCommand } from './policy.js';
import { profileCommand } from './profile.js';
import { segmentsBackfillCommand, segmentsCreateCommand, segmentsListCommand } from './segments.js';
import { serveCommand } from './serve.js';
import { DEFAULT_WORKSPACE } from '../engine/keys.js';

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
};

const program = new Command('xhub').description('Experience Hub: customer-journey orchestration engine').version('0.1.0');

program
  .command('serve')
  .description('run the hub (embedded SQLite store in --data)')
  .option('-p, --port <port>', 'HTTP port (default 8080, env XHUB_PORT)', port)
  .option('--host <host>', 'address to listen on (default 127.0.0.1, env XHUB_HOST)')
  .option('-d, --data <dir>', 'data directory (default ./data, env XHUB_DATA)')
  .option('-c, --config <file>', 'JSON configuration file (env XHUB_CONFIG)')
  .option('--demo', 'load the demo data set into an empty hub and show what to look at')
  .action(serveCommand);

program
  .command('import')
  .description('bulk load Segment calls from a JSON Lines file (same validation and idempotency as the API)')
  .argument('<file>', 'one call per line, each with its "type"')
  .option('-d, --data <dir>', 'data directory (default ./data, env XHUB_DATA)')
  .option('-c, --config <file>', 'JSON configuration file (env XHUB_CONFIG)')
  .option('--skip-invalid', 'load the valid lines and report the invalid ones, instead of loading nothing')
  .action(importCommand);

program
  .command('profile')
  .description('print a profile and its recent timeline')
  .argument('<type>', 'identifier type: userId, anonymousId, email, phone, or a custom type')
  .argument('<value>', 'identifier value')
  .option('-d, --data <dir>', 'data directory (default ./data, env XHUB_DATA)')
  .option('-c, --config <file>', 'JSON configuration file (env XHUB_CONFIG)')
  .option('-n, --limit <n>', 'timeline items to show', (v) => Number(v), 20)
  .option('--json', 'print JSON')
  .action(profileCommand);

const segments = program.command('segments').description('segments of a data directory: list, create, backfill');
const hubOptions = (c: Command): Command =>
  c
    .option('-d, --data <dir>', 'data directory (default ./data, env XHUB_DATA)')
    .option('-c, --config <file>', 'JSON configuration file (env XHUB_CONFIG)')
    .option('-w, --workspace <id>', 'workspace', DEFAULT_WORKSPACE);

hubOptions(segments.command('list').description('list segments with their member counts and backfill progress'))
  .option('--json', 'print JSON')
  .action(segmentsListCommand);

hubOptions(segments.command('create').description('create a segment from a JSON file ({ name, description?, condition }), validated as the admin API does'))
  .argument('<file>', 'the segment as JSON')
  .option('--wait', 'backfill it over existing profiles now, with a progress bar')
  .action(segmentsCreateCommand);

hubOptions(segments.command('backfill').description("run a segment's backfill over existing profiles with a progress bar; exits when done"))
  .argument('<id>', 'segment id (seg_…)')
  .option('--restart', 'backfill again from the first profile, even when done')
  .action(segmentsBackfillCommand);

const journeys = program.command('journeys').description('journeys as code: validate, diff and deploy a directory of journey files (*.yaml, *.yml, *.json)');

hubOptions(journeys.command('validate').description("validate every journey file of DIR (schema, graph, the workspace's segments); errors as FILE:LINE:COL PATH: MESSAGE"))
  .argument('<dir>', 'directory of journey files')
  .action(journeysValidateCommand);

hubOptions(journeys.command('diff').description("compare the journey files of DIR with the hub's journeys (+ new, ~ changed, = unchanged, ? only on the hub)"))
  .argument('<dir>', 'directory of journey files')
  .option('--json', 'print JSON')
  .action(journeysDiffCommand);

hubOptions(journeys.command('deploy').description('validate every file of DIR, then save and publish each new or changed journey as a new version; nothing is deployed when a file is invalid'))
  .argument('<dir>', 'directory of journey files')
  .action(journeysDeployCommand);

journeys.command('schema').description('print the JSON Schema of a journey file (schemas/journey.schema.json)').action(journeysSchemaCommand);

const policy = program.command('policy').description('the contact policy as code: validate, deploy, show');

policy.command('validate').description('validate a contact policy file (YAML or JSON); errors as FILE:LINE:COL PATH: MESSAGE').argument('<file>', 'policy file').action(policyValidateCommand);

hubOptions(policy.command('deploy').description("validate a policy file and deploy it as the workspace's new policy version"))
  .argument('<file>', 'policy file')
  .action(policyDeployCommand);

hubOptions(policy.command('show').description('print the contact policy in force')).action(policyShowCommand);

hubOptions(program.command('why').description("explain a profile's recent decisions: each candidate, sent, deferred or rejected, with the rule and the numbers"))
  .argument('<type>', 'identifier type: userId, anonymousId, email, phone, or a custom type')
  .argument('<value>', 'identifier value')
  .option('-j, --journey <id>', 'only decisions with a candidate of this journey')
  .option('-n, --limit <n>', 'decisions to read', (v) => Number(v), 20)
  .option('--json', 'print JSON')
  .action(whyCommand);

const contributors = program.command('contributors').description('contributors: who delivers (channel providers, partners), with their health');
hubOptions(contributors.command('list').description('each contributor with its role, channels and health (queue depth, error rate, last success)'))
  .option('--json', 'print JSON')
  .action(contributorsListCommand);
hubOptions(contributors.command('add').description('add or change a contributor from a YAML or JSON file (as POST /v1/contributors; credentials are stored encrypted)'))
  .argument('<file>', 'contributor file')
  .action(contributorsAddCommand);

const dlq = program.command('outbox').description('the outbox of decided actions').command('dlq').description('the dead-letter queue: messages that could not be delivered');
hubOptions(dlq.command('list').description('dead messages with their last error')).option('--json', 'print JSON').action((opts: Parameters<typeof dlqCommand>[2]) => dlqCommand('list', undefined, opts));
hubOptions(dlq.command('retry').description('queue dead messages again (delivered by a running hub)'))
  .argument('[key]', 'message key')
  .option('--all', 'every dead message')
  .action((key: string | undefined, opts: Parameters<typeof dlqCommand>[2]) => dlqCommand('retry', key, opts));
hubOptions(dlq.command('drop').description('delete dead messages'))
  .argument('[key]', 'message key')
  .option('--all', 'every dead message')
  .action((key: string | undefined, opts: Parameters<typeof dlqCommand>[2]) => dlqCommand('drop', key, opts));

hubOptions(program.command('mailbox').description('messages the built-in capture contributor received (e-mail and SMS when no provider is set up)'))
  .option('--to <address>', 'only those to this address')
  .option('-n, --limit <n>', 'messages to show', (v) => Number(v), 20)
  .option('--json', 'print JSON')
  .action(mailboxCommand);

await program.parseAsync();
