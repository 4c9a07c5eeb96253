/**
 * A stand-in for NestJS's `@Injectable()` (the sample does not depend on NestJS): a class decorator
 * of the legacy kind, as NestJS's are, that records which decorator form the compiler used, so the
 * sample can show that it runs with `experimentalDecorators: true`.
 */

/** How the class decorators were called: `'legacy'` under `experimentalDecorators`, else `'standard'`. */
export let decoratorForm: 'legacy' | 'standard' | null = null;

/**
 * Marks a class as a provider (here: records the decorator form, and nothing else).
 * @example
 * ```ts
 * @Injectable()
 * export class InvoicesService { ... }
 * ```
 */
export function Injectable(): (target: abstract new (...args: any[]) => unknown, context?: unknown) => void {
  return (_target, context) => {
    decoratorForm = context === undefined ? 'legacy' : 'standard';
  };
}
