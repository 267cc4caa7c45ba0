/** Every scenario `npm start` plays has an end-to-end test file of its own in this folder. */
import { readdirSync } from 'node:fs';
import * as scenarios from '../../sandbox/scenarios';
import { SCENARIOS } from '../../sandbox/scenarios';

describe('the end-to-end scenarios', () => {
  it('each play alone in a test file of their own', () => {
    // Prepare
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.ts'));
    const exported = Object.entries(scenarios).filter(([, value]) => SCENARIOS.includes(value as never));

    // Act
    const missing = exported
      .map(([name]) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))
      .filter((kebab) => !files.includes(`${kebab}.test.ts`));

    // Assess
    expect(exported).toHaveLength(SCENARIOS.length);
    expect(missing).toEqual([]);
  });
});
