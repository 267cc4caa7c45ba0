import {
  AutopilotEventSchemas,
  DEPLOYMENT_STARTED,
  DEPLOYMENT_SUCCEEDED,
} from '../../../shared/events/autopilot-events';

/** Whether the schema of `type` was built yet: until then its property is a getter. */
const built = (type: keyof typeof AutopilotEventSchemas) =>
  Object.getOwnPropertyDescriptor(AutopilotEventSchemas, type)?.get === undefined;

describe('AutopilotEventSchemas', () => {
  it('builds a schema on its first read only, and keeps it: listing the detail-types builds none', () => {
    // Prepare
    const types = Object.keys(AutopilotEventSchemas);

    // Act
    const first = AutopilotEventSchemas[DEPLOYMENT_STARTED];
    const again = AutopilotEventSchemas[DEPLOYMENT_STARTED];

    // Assess
    expect(types).toEqual(expect.arrayContaining([DEPLOYMENT_STARTED, DEPLOYMENT_SUCCEEDED]));
    expect(again).toBe(first);
    expect(built(DEPLOYMENT_STARTED)).toBe(true);
    expect(built(DEPLOYMENT_SUCCEEDED)).toBe(false);
  });
});
