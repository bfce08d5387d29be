/**
 * Internal states and severities have one definition each (src/domain/states.ts, severity.ts);
 * storage, mapping rules and every API schema use it. The OpenAPI walk catches a list written out
 * by hand in any route schema, now or later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.ts';
import { defaultPriorityBySeverity, stateFor } from '../../src/domain/mapping.ts';
import { severityLevels } from '../../src/domain/severity.ts';
import { internalStates, isInternalState } from '../../src/domain/states.ts';
import { ecosystemNames } from '../../src/updaters/registry.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

/** Every `enum` array anywhere in a JSON document. */
function enums(node: unknown, found: unknown[][] = []): unknown[][] {
  if (Array.isArray(node)) for (const item of node) enums(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'enum' && Array.isArray(value)) found.push(value);
      else enums(value, found);
    }
  }
  return found;
}

describe('one definition of internal states and severities', () => {
  it('storage uses the domain lists', () => {
    expect(schema.internalStates).toBe(internalStates);
    expect(schema.severities).toBe(severityLevels);
  });

  it('the mapping rules cover every severity and answer only internal states', () => {
    expect(Object.keys(defaultPriorityBySeverity).sort()).toEqual([...severityLevels].sort());
    for (const status of ['Open', 'In Progress', 'Done', "Won't Fix", 'Something else', 'In Review']) {
      expect(isInternalState(stateFor([], status))).toBe(true);
    }
    expect(stateFor([{ kind: 'status', source: 'Parked', target: 'not-a-state' }], 'Parked')).toBe('backlog');
    expect(stateFor([{ kind: 'status', source: 'Parked', target: 'wont_fix' }], 'Parked')).toBe('wont_fix');
  });

  describe('in the API schemas', () => {
    let service: TestService;
    let found: unknown[][];
    beforeAll(async () => {
      service = await startTestService('embedded');
      found = enums((await service.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    });
    afterAll(async () => {
      await service?.close();
    });

    it('every state enum is the domain list', () => {
      const stateEnums = found.filter((values) => values.includes('wont_fix') || values.includes('in_review'));
      expect(stateEnums.length).toBeGreaterThan(0);
      for (const values of stateEnums) expect(values).toEqual([...internalStates]);
    });

    it('every severity enum is the domain list', () => {
      for (const values of found.filter((list) => list.includes('critical') && list.includes('info'))) expect(values).toEqual([...severityLevels]);
    });

    it('every ecosystem enum is the updater registry list', () => {
      const ecosystemEnums = found.filter((values) => values.includes('rubygems') || values.includes('gomod'));
      expect(ecosystemEnums.length).toBeGreaterThan(0);
      for (const values of ecosystemEnums) expect(values).toEqual([...ecosystemNames]);
    });
  });
});
