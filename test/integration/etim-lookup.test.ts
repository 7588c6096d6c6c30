// etim_lookup_code through the real MCP client against the ETIM double: the prefix picks the kind and the ETIM
// endpoint that reads it; an unknown prefix is refused before any request, naming the field and the known prefixes.
import { describe, expect, it } from 'vitest';
import type { EtimDouble } from '../doubles/etim.js';
import type { Bastion } from '../helpers/bastion.js';
import { call } from '../helpers/bastion.js';
import { apiCalls, lastBody, useEtimBastion } from '../helpers/etim.js';

let double: EtimDouble;
let bastion: Bastion;

useEtimBastion((running) => ({ double, bastion } = running));

describe('etim_lookup_code', () => {
  it('refuses a code with an unknown prefix before any request, naming the field and every known prefix', async () => {
    for (const code of ['XY123456', 'EX990001', 'EFG990001', 'EC99001']) {
      const result = await call(bastion, 'etim_lookup_code', { code });
      expect(result.isError, code).toBe(true);
      expect(result.text).toContain('code');
      expect(result.text).toContain('EC class, MC modelling class, EF feature, EV value, EU unit, EG group');
      expect(result.text).toContain('EFG feature group');
    }
    expect(double.apiRequests).toHaveLength(0);
  });

  it.each([
    ['ec990005', 'class', '/Class/Details', 'etim_get_class', 'Downlight'],
    ['MC990001', 'modelling class', '/ModellingClass/Details', 'etim_get_class', 'Downlight (modelling)'],
    ['ef990001', 'feature', '/Feature/Details', 'etim_get_feature', 'Colour'],
    ['EV990001', 'value', '/Value/Details', 'etim_get_value', 'white'],
    ['EU990001', 'unit', '/Unit/Details', 'etim_get_unit', 'millimetre'],
    ['EG990001', 'group', '/Group/Details', 'etim_get_group', 'Lamps and luminaires'],
    ['efg99001', 'feature group', '/FeatureGroup/Details', 'etim_get_feature_group', 'Electrical properties'],
  ])('%s is read as a %s from %s', async (code, kind, endpoint, tool, description) => {
    const before = apiCalls(double, endpoint).length;
    const result = await call(bastion, 'etim_lookup_code', { code });
    expect(result.isError, result.text).toBeFalsy();
    expect(apiCalls(double, endpoint).length).toBe(before + 1);
    expect(lastBody(double, endpoint)).toMatchObject({ code: code.toUpperCase(), languagecode: 'EN' });
    expect(result.structured).toMatchObject({ kind, details_tool: tool, details: { code: code.toUpperCase(), description } });
    expect(result.text.split('\n')[0]).toBe(`ETIM ${kind} (more with ${tool}):`);
    expect(result.text).toContain(description);
  });

  it('an unknown code of a known kind is "no such code", naming the kind and the search tool', async () => {
    const result = await call(bastion, 'etim_lookup_code', { code: 'EU123456', language: 'de-DE' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^No such ETIM unit: EU123456 /);
    expect(result.text).toContain('etim_search_units');
    expect(lastBody(double, '/Unit/Details')).toMatchObject({ code: 'EU123456', languagecode: 'de-DE' });
  });
});
