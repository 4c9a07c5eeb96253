/**
 * Runs a standalone bench script's `main()` and exits: 0 when it finished, 1 (with the stack on
 * stderr) when it threw. Exits explicitly, so that a client a bench forgot to close cannot keep the
 * process alive.
 * @param main - the script's work
 */
export function runStandalone(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
