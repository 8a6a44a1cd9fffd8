import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECT_TIMEOUT, nodeTransport, type Transport } from '../../../lambda/factify/transport.js';
import { rejection } from './harness.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server that records what it receives and answers with `answer`. */
async function startServer(answer: (request: IncomingMessage, response: ServerResponse) => void) {
  const received: Received[] = [];
  let connections = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(request, response);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => new URL(`http://127.0.0.1:${port}${path}`),
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('nodeTransport', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const transport: Transport = nodeTransport({ connectTimeoutMs: 300, idleSocketMs: 5_000 });

  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  async function server(answer: (request: IncomingMessage, response: ServerResponse) => void) {
    const started = await startServer(answer);
    cleanups.push(started.close);
    return started;
  }

  it('sends the method, path, query, headers and JSON body, and returns status, headers and body', async () => {
    // Prepare
    const factify = await server((_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json', 'X-RateLimit-Remaining': '99' });
      response.end('{"id":"key_1"}');
    });

    // Act
    const response = await transport({
      url: factify.url('/v1/api-keys?include_revoked=true'),
      method: 'POST',
      headers: { authorization: 'Bearer ffy_test_x', 'content-type': 'application/json' },
      body: '{"name":"rotation-1"}',
      timeoutMs: 2_000,
    });

    // Assess
    expect(response).toMatchObject({ status: 201, body: '{"id":"key_1"}' });
    expect(response.headers['x-ratelimit-remaining']).toBe('99');
    expect(factify.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/v1/api-keys?include_revoked=true',
        body: '{"name":"rotation-1"}',
        headers: expect.objectContaining({ authorization: 'Bearer ffy_test_x', 'content-length': '21' }),
      }),
    ]);
  });

  it('sends a DELETE body with its Content-Length (Node does not chunk DELETE bodies)', async () => {
    // Prepare
    const factify = await server((_request, response) => {
      response.writeHead(204).end();
    });

    // Act
    const response = await transport({
      url: factify.url('/v1/api-keys/key_1'),
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"rotated"}',
      timeoutMs: 2_000,
    });

    // Assess
    expect(response.status).toBe(204);
    expect(factify.received[0]).toMatchObject({ method: 'DELETE', body: '{"reason":"rotated"}' });
  });

  it('reuses one connection for requests in sequence', async () => {
    // Prepare
    const factify = await server((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });

    // Act
    for (let request = 0; request < 3; request++) {
      await transport({ url: factify.url('/v1/organization'), method: 'GET', headers: {}, timeoutMs: 2_000 });
    }

    // Assess
    expect(factify.received).toHaveLength(3);
    expect(factify.connections()).toBe(1);
  });

  it('fails with a TimeoutError when no answer comes in time', async () => {
    // Prepare: headers never sent
    const factify = await server(() => {});

    // Act
    const error = await rejection(
      transport({ url: factify.url('/v1/organization'), method: 'GET', headers: {}, timeoutMs: 200 }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it('fails with a TimeoutError when the body stops half way', async () => {
    // Prepare
    const factify = await server((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"api_keys": [');
    });

    // Act
    const error = await rejection(
      transport({ url: factify.url('/v1/api-keys'), method: 'GET', headers: {}, timeoutMs: 200 }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it('fails with ECONNRESET when the connection is reset before the answer', async () => {
    // Prepare
    const factify = await server((request) => {
      request.socket.resetAndDestroy();
    });

    // Act
    const error = await rejection(
      transport({
        url: factify.url('/v1/api-keys'),
        method: 'POST',
        headers: {},
        body: '{}',
        timeoutMs: 2_000,
      }),
    );

    // Assess
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('fails with ECONNRESET when the connection closes half way through the body', async () => {
    // Prepare
    const factify = await server((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"api_keys": [', () => response.socket?.destroy());
    });

    // Act
    const error = await rejection(
      transport({ url: factify.url('/v1/api-keys'), method: 'GET', headers: {}, timeoutMs: 2_000 }),
    );

    // Assess
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('fails with ECONNREFUSED when nothing listens', async () => {
    // Prepare: a port that was just free
    const factify = await startServer(() => {});
    await factify.close();

    // Act
    const error = await rejection(
      transport({ url: factify.url('/v1/organization'), method: 'GET', headers: {}, timeoutMs: 2_000 }),
    );

    // Assess
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('fails with CONNECT_TIMEOUT when the TLS handshake does not complete in time', async () => {
    // Prepare: a TCP server that accepts and never answers the TLS ClientHello
    const sockets: Socket[] = [];
    const silent: TcpServer = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as AddressInfo;

    // Act
    const error = await rejection(
      transport({
        url: new URL(`https://127.0.0.1:${port}/v1/organization`),
        method: 'GET',
        headers: {},
        timeoutMs: 5_000,
      }),
    );

    // Assess: within the connect timeout (300 ms here), well before the request timeout
    expect(error).toMatchObject({ code: CONNECT_TIMEOUT });
  });
});
