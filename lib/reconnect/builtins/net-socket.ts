import type * as net from 'node:net';
import { constructedBy, lazyModule } from './lazy-module';
import type { BuiltinReconnector } from './builtin';
import { CONNECT_TIMEOUT_MS } from './builtin';

/** node:net, loaded at first use (see lazy-module.ts). */
const Net = lazyModule(() => require('node:net') as typeof net);

interface Meta {
  host?: string;
  port: number;
  encoding?: string;
  timeout?: number;
}

/**
 * A client TCP `net.Socket` (exactly that class: TLS sockets are not handled): saved as the host
 * and port it is (or was) connected to (the host name it was given, when Node kept it), plus its
 * encoding and timeout; reconnected with `net.connect`, waiting for the connection (10 s). Sockets
 * a server accepted, IPC sockets and sockets never connected cannot be saved.
 * @internal
 */
export const netSocket: BuiltinReconnector = {
  name: 'net.Socket',
  describes: 'net.Socket',
  matches: (v) => constructedBy(v, 'Socket') && v instanceof Net().Socket && Object.getPrototypeOf(v) === Net().Socket.prototype,
  extract(s: net.Socket & { server?: unknown; _server?: unknown; _host?: unknown; timeout?: number }): Meta {
    if (s.server || s._server) throw new Error('a socket accepted by a server cannot be reconnected (only client sockets can)');
    if (typeof s.remotePort !== 'number') {
      throw new Error(
        s.connecting
          ? "the socket is still connecting, so its port is unknown (save it after its 'connect' event)"
          : 'the socket is not connected to a TCP address (never connected, or an IPC pipe, whose path Node does not expose)',
      );
    }
    const meta: Meta = { host: typeof s._host === 'string' && s._host ? s._host : s.remoteAddress, port: s.remotePort };
    if (s.readableEncoding) meta.encoding = s.readableEncoding;
    if (typeof s.timeout === 'number' && s.timeout > 0) meta.timeout = s.timeout;
    return meta;
  },
  reconnect(meta: Meta): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = Net().connect({ host: meta.host, port: meta.port });
      const timer = setTimeout(() => fail(new Error(`connecting to ${where()} timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      timer.unref();
      function where() {
        return `${meta.host}:${meta.port}`;
      }
      function fail(e: Error) {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      }
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        if (meta.encoding) socket.setEncoding(meta.encoding as BufferEncoding);
        if (meta.timeout) socket.setTimeout(meta.timeout);
        resolve(socket);
      });
    });
  },
  dispose: (s: net.Socket) => s.destroy(),
};
