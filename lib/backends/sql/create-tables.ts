import type { SqlRunner } from './sql-chunks';

/**
 * Runs `CREATE … IF NOT EXISTS` statements, each once more after a failure: two processes creating
 * a table at once (PostgreSQL reports a duplicate) then find what the other one made.
 * @internal
 */
export async function createTables(exec: SqlRunner, statements: readonly string[], what: string): Promise<void> {
  for (const sql of statements) {
    try {
      await exec(what, sql, [], false);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
      await exec(what, sql, [], false);
    }
  }
}
