// bastion_status through the real MCP client: the enabled connectors (the real Redmine and the ETIM double), whether
// each answers and as whom, the version; an upstream that stopped answering is reported, not a failed call; the
// check writes nothing upstream; bad input is refused naming the argument.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETIM_TEST_CLIENT_ID } from '../doubles/etim.js';
import { call, redmineEnv, startBastion } from '../helpers/bastion.js';
import { etimEnv, startEtim } from '../helpers/etim.js';
import { redmine } from '../helpers/redmine.js';

const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

describe('bastion_status', () => {
  it('lists each enabled connector as reachable and as whom, with the version, and reads only', async () => {
    const double = await startEtim();
    const { user } = (await redmine<{ user: { login: string; id: number } }>('GET', '/users/current.json')).body;
    const bastion = await startBastion({ env: { ...etimEnv(double), ...redmineEnv() } });
    try {
      const listed = (await bastion.client.listTools()).tools.find((tool) => tool.name === 'bastion_status');
      expect(listed?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
      const before = double.apiRequests.length;
      const result = await call(bastion, 'bastion_status');
      expect(result.isError, result.text).toBeFalsy();
      expect(result.structured).toEqual({
        version: VERSION,
        connectors: [
          { name: 'redmine', title: 'Redmine', reachable: true, as: `${user.login} (id ${user.id})` },
          { name: 'etim', title: 'ETIM', reachable: true, as: `client ${ETIM_TEST_CLIENT_ID}` },
        ],
      });
      expect(result.text.split('\n')).toEqual([
        `Bastion ${VERSION}`,
        `redmine (Redmine): reachable, as ${user.login} (id ${user.id})`,
        `etim (ETIM): reachable, as client ${ETIM_TEST_CLIENT_ID}`,
      ]);
      // The ETIM check is one read of a reference list: nothing else was asked of the API.
      expect(double.apiRequests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v2/Misc/LanguagesAllowed']);
    } finally {
      await bastion.close();
      await double.close();
    }
  });

  it('reports an upstream that stopped answering as not reachable, with the reason, and still answers for the others', async () => {
    const double = await startEtim();
    const bastion = await startBastion({ env: { ...etimEnv(double), ...redmineEnv() } });
    try {
      await double.close();
      const result = await call(bastion, 'bastion_status');
      expect(result.isError, result.text).toBeFalsy();
      const [redmineStatus, etimStatus] = result.structured.connectors;
      expect(redmineStatus).toMatchObject({ name: 'redmine', reachable: true });
      expect(etimStatus).toMatchObject({ name: 'etim', reachable: false, as: `client ${ETIM_TEST_CLIENT_ID}`, problem: expect.stringMatching(/ETIM|connect|refused|reach/i) });
      expect(result.text).toContain('etim (ETIM): NOT reachable');
    } finally {
      await bastion.close();
    }
  });

  it('lists only the enabled connectors, and refuses an argument naming it', async () => {
    const bastion = await startBastion({ env: redmineEnv() });
    try {
      const result = await call(bastion, 'bastion_status');
      expect(result.structured.connectors.map((c: { name: string }) => c.name)).toEqual(['redmine']);
      const bad = await call(bastion, 'bastion_status', { connector: 'redmine' });
      expect(bad.isError).toBe(true);
      expect(bad.text).toContain('connector');
    } finally {
      await bastion.close();
    }
  });

  it('is hidden by an allow list that does not name it, and can be named there', async () => {
    const hidden = await startBastion({ env: redmineEnv({ BASTION_TOOLS: 'redmine_get_*' }) });
    const named = await startBastion({ env: redmineEnv({ BASTION_TOOLS: 'redmine_get_*,bastion_status' }) });
    try {
      expect((await hidden.client.listTools()).tools.map((t) => t.name)).not.toContain('bastion_status');
      expect((await named.client.listTools()).tools.map((t) => t.name)).toContain('bastion_status');
    } finally {
      await hidden.close();
      await named.close();
    }
  });
});
