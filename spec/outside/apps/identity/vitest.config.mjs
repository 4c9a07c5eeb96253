// vitest 3 (vite 6, esbuild): the decorators are lowered for the target below
export default { test: { include: ['test/*.vitest.ts'] }, esbuild: { target: 'es2022' } };
