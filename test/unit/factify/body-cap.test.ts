import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FactifyHttp } from '../../../lambda/adapters/factify/http.js';
import { FactifyResponseTooLargeError } from '../../../lambda/telemetry/errors.js';
import { Logger } from '../../../lambda/telemetry/log.js';
import { CREATE, CREDENTIAL, LIST } from './harness.js';

const HUGE_BYTES = 80 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * A real loopback server streaming an 80 MB answer, with backpressure, counting what it managed to send:
 * a client that reads the whole body takes all 80 MB; one that stops at the cap leaves most unsent.
 */
describe('Factify response bodies are capped at 1 MB', () => {
  let server: Server;
  let sent = 0;
  let requests = 0;
  let agent: Agent;
  let http: FactifyHttp;
  let declareLength = false;

  beforeEach(async () => {
    sent = 0;
    requests = 0;
    declareLength = false;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    server = createServer((_request, response) => {
      requests++;
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(declareLength ? { 'content-length': String(HUGE_BYTES) } : {}),
      });
      const pump = () => {
        while (sent < HUGE_BYTES) {
          sent += CHUNK.length;
          if (!response.write(CHUNK)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    agent = new Agent();
    http = new FactifyHttp({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      remainingMs: () => 60_000,
      log: new Logger({}, 'ERROR'),
      dispatcher: agent,
      sleep: async () => {},
    });
  });

  afterEach(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    vi.restoreAllMocks();
  });

  it.each([
    ['streamed without a length', false],
    ['declared in Content-Length', true],
  ])(
    'an 80 MB answer %s fails with a typed error, without reading it, and is not retried',
    async (_how, declared) => {
      declareLength = declared;

      const error = await http.send(LIST, CREDENTIAL).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(FactifyResponseTooLargeError);
      expect(error).toMatchObject({ code: 'FACTIFY_RESPONSE_TOO_LARGE' });
      expect((error as Error).message).toMatch(/more than 1 MB/);
      expect(requests).toBe(1);
      // Socket buffers hold a few MB at most; reading the answer whole would have drained all 80.
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    },
  );

  it('a too-large answer to a key creation is the same typed error: the next attempt revokes the orphan', async () => {
    const error = await http.send(CREATE, CREDENTIAL, { name: 'x' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FactifyResponseTooLargeError);
    expect(requests).toBe(1);
  });
});
