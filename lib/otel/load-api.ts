import { loadDriver } from '../reconnect/load-driver';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { OtelApi } from './otel-api';

/**
 * `@opentelemetry/api`, loaded when `instrument()` is called without `api` (never by importing
 * safe-state or `safe-state/otel`): from safe-state's own location, then from the application's.
 * @throws {@link InvalidOptionsError} (option `api`) when it is not installed
 * @internal
 */
export function loadOtelApi(): OtelApi {
  try {
    return loadDriver<OtelApi>('@opentelemetry/api');
  } catch (e) {
    throw Object.assign(
      new InvalidOptionsError('api', "api: instrument() needs '@opentelemetry/api', which cannot be loaded: install it (npm install @opentelemetry/api) or pass the module as { api }"),
      { cause: e },
    );
  }
}
