import { ENV, stopAll } from './servers';

/** Stops the servers the global setup started and removes their data. */
export default async function globalTeardown(): Promise<void> {
  const root = process.env[ENV.root];
  if (root) stopAll(root);
}
