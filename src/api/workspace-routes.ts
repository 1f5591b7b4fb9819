import type { FastifyInstance } from 'fastify';
import { zodErrors } from '../core/events/validate.js';
import { WorkspaceSettings } from '../core/workspaces/settings.js';
import type { Hub } from '../engine/hub.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

/** The admin key's workspace settings (admin; never cross-origin: these routes carry no CORS headers). */
export function workspaceRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const missing = () => problem(404, 'this workspace no longer exists');

  app.get('/v1/workspace/settings', async (req, reply) => (await hub.store.workspaces.settingsOf(req.workspaceId)) ?? sendProblem(reply, missing()));

  app.put('/v1/workspace/settings', async (req, reply) => {
    const parsed = WorkspaceSettings.safeParse(req.body);
    if (!parsed.success) return sendProblem(reply, problem(400, 'invalid workspace settings; nothing was changed', zodErrors(parsed.error, '')));
    if (!(await hub.origins.update(req.workspaceId, parsed.data))) return sendProblem(reply, missing());
    return parsed.data;
  });
}
