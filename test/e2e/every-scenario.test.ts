/**
 * Every scenario `npm start` plays has an end-to-end test file of its own in this folder, and one in
 * thrice/ playing it with every event delivered three times, shuffled.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as scenarios from '../../sandbox/scenarios';
import { SCENARIOS } from '../../sandbox/scenarios';

const exported = Object.entries(scenarios).filter(([, value]) => SCENARIOS.includes(value as never));

describe('the end-to-end scenarios', () => {
  it('each play alone in a test file of their own', () => {
    // Prepare
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.ts'));

    // Act
    const missing = exported
      .map(([name]) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))
      .filter((kebab) => !files.includes(`${kebab}.test.ts`));

    // Assess
    expect(exported).toHaveLength(SCENARIOS.length);
    expect(missing).toEqual([]);
  });

  it('each play alone with every event delivered three times, in a test file of their own in thrice/', () => {
    // Prepare
    const files = readdirSync(join(__dirname, 'thrice')).filter((f) => f.endsWith('.test.ts'));

    // Act
    const missing = exported
      .map(([name]) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))
      .filter((kebab) => !files.includes(`${kebab}.test.ts`));

    // Assess
    expect(missing).toEqual([]);
  });
});
