import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { SqliteWorkspaces } from './workspaces.js';

describe('workspace settings in SQLite', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a workspace created before the settings migration reads as defaults, then keeps what is stored across reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-ws-'));
    dirs.push(dir);
    const file = join(dir, 'state.db');
    const old = openDatabase(file, 'normal');
    migrate(old, STATE_MIGRATIONS.slice(0, 1));
    old.prepare("INSERT INTO workspaces (id, name, created_at) VALUES ('ws_old', 'Old', 0)").run();
    old.close();

    const db = openDatabase(file, 'normal');
    migrate(db, STATE_MIGRATIONS);
    const ws = new SqliteWorkspaces(db);
    expect(await ws.settingsOf('ws_old')).toEqual({ allowedOrigins: ['*'] });
    expect(await ws.settingsOf('ws_missing')).toBeUndefined();
    expect(await ws.updateSettings('ws_old', { allowedOrigins: ['https://shop.example.com'] })).toBe(true);
    expect(await ws.updateSettings('ws_missing', { allowedOrigins: [] })).toBe(false);
    await ws.ensureWorkspace('ws_new', 'New');
    expect(await ws.allowedOriginsOfAll()).toEqual(expect.arrayContaining([['https://shop.example.com'], ['*']]));
    expect(JSON.parse(db.prepare("SELECT settings FROM workspaces WHERE id = 'ws_old'").pluck().get() as string)).toEqual({ v: 1, allowedOrigins: ['https://shop.example.com'] });
    db.close();

    const again = openDatabase(file, 'normal');
    migrate(again, STATE_MIGRATIONS);
    expect(await new SqliteWorkspaces(again).settingsOf('ws_old')).toEqual({ allowedOrigins: ['https://shop.example.com'] });
    again.close();
  });
});
