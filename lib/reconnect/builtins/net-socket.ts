import * as net from 'node:net';
import type { BuiltinReconnector } from './builtin';
import { CONNECT_TIMEOUT_MS } from './builtin';

interface Meta {
  host?: string;
  port?: number;
  path?: string;
  encoding?: string;
  timeout?: number;
}

/**
 * A client `net.Socket` (exactly that class: TLS sockets are not handled): saved as the host and
 * port it is connected to (the host name it was given, when Node kept it) or its IPC path, plus
 * its encoding and timeout; reconnected with `net.connect`, waiting for the connection (10 s).
 * Sockets a server accepted, and sockets never connected, cannot be saved.
 * @internal
 */
export const netSocket: BuiltinReconnector = {
  name: 'net.Socket',
  describes: 'net.Socket',
  matches: (v) => v instanceof net.Socket && Object.getPrototypeOf(v) === net.Socket.prototype,
  extract(s: net.Socket & { server?: unknown; _server?: unknown; _host?: unknown; _pipeName?: unknown; timeout?: number }): Meta {
    if (s.server || s._server) throw new Error('a socket accepted by a server cannot be reconnected (only client sockets can)');
    const meta: Meta = {};
    const pipe = typeof s._pipeName === 'string' ? s._pipeName : undefined;
    if (pipe) meta.path = pipe;
    else if (typeof s.remotePort === 'number') {
      meta.host = typeof s._host === 'string' && s._host ? s._host : s.remoteAddress;
      meta.port = s.remotePort;
    } else throw new Error(`the socket is ${s.destroyed ? 'closed' : 'not connected'}, so its address is unknown (save it after its 'connect' event)`);
    if (s.readableEncoding) meta.encoding = s.readableEncoding;
    if (typeof s.timeout === 'number' && s.timeout > 0) meta.timeout = s.timeout;
    return meta;
  },
  reconnect(meta: Meta): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = meta.path !== undefined ? net.connect({ path: meta.path }) : net.connect({ host: meta.host, port: meta.port! });
      const timer = setTimeout(() => fail(new Error(`connecting to ${where()} timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      timer.unref();
      function where() {
        return meta.path ?? `${meta.host}:${meta.port}`;
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
