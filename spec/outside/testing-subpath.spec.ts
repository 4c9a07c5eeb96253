import { RUNTIMES, lastJson, runOk, scratchApp } from './scratch';

/**
 * `safe-state/testing` from outside: a project that installs the packed package imports the kit
 * from an ES module and from CommonJS, kills a job at an item and checks the rerun; the kit and the
 * main entry are one instance (an error the kit throws is an `InvalidOptionsError` of 'safe-state').
 */
const APP = (load: string) => `${load}
const seen = [];
const job = safeState(async (xs) => { for await (const x of xs) seen.push(x); }, { name: 'outside-kit' });
const t = testJob(() => job([0, 1, 2, 3, 4]));
const r1 = await t.run({ killAt: 2 });
const r2 = await t.run();
let oneInstance = false;
try { testJob(42); } catch (e) { oneInstance = e instanceof InvalidOptionsError && e.option === 'job'; }
console.log(JSON.stringify({ killed: r1.killed, resumedAt: r2.resumedAt, completed: r2.completed, repeated: t.repeated, seen, oneInstance }));
`;

describe('safe-state/testing from a project that installs the packed package', () => {
  it('is imported from an ES module and required from CommonJS, on the real engine', () => {
    const app = scratchApp('testing-subpath', {
      'esm.mjs': APP("import { testJob } from 'safe-state/testing';\nimport { safeState, InvalidOptionsError } from 'safe-state';"),
      'cjs.cjs': `(async () => {\n${APP("const { testJob } = require('safe-state/testing');\nconst { safeState, InvalidOptionsError } = require('safe-state');")}\n})();\n`,
    });
    const want = { killed: true, resumedAt: 2, completed: true, repeated: [2], seen: [0, 1, 2, 2, 3, 4], oneInstance: true };
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      expect({ file, ...lastJson<object>(runOk([RUNTIMES.node20, file], app).stdout) }).toEqual({ file, ...want });
    }
  }, 300_000);
});
