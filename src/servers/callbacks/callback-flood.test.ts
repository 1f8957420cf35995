/**
 * callbacks.maxPending under a flood: a real receiver that accepts connections and never answers, the real
 * HTTP transport, thousands of callbacks. The queue, the stored queue and the connections stay bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { pino } from 'pino';
import { MemoryStore } from '../../store/memory-store.ts';
import { CallbackDeliverer, resultCodes } from './callback-deliverer.ts';

test('a receiver that never answers: the queue stays at maxPending, the oldest are dropped and counted, at most `concurrency` sockets', async (t) => {
  const held: ServerResponse[] = [];
  let requests = 0;
  const receiver = createServer((_req: IncomingMessage, res: ServerResponse) => {
    requests++;
    held.push(res);
  });
  let open = 0;
  let maxOpen = 0;
  receiver.on('connection', (socket) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.on('close', () => open--);
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const port = (receiver.address() as { port: number }).port;
  t.after(() => {
    receiver.closeAllConnections();
    receiver.close();
  });

  const store = new MemoryStore();
  let drops = 0;
  const maxPending = 50;
  const d = new CallbackDeliverer({
    store,
    log: pino({ level: 'silent' }),
    now: Date.now,
    retryIntervalMs: 60_000,
    maxRetries: 12,
    timeoutMs: 2000,
    maxPending,
    concurrency: 16,
    onDrop: () => drops++,
  });
  await d.start();
  const flood = 3000;
  let maxSize = 0;
  for (let i = 0; i < flood; i++) {
    await d.enqueue({
      eventType: 1,
      eventTime: Date.now(),
      stream: `s${i}`,
      sequence: String(i),
      url: `http://127.0.0.1:${port}/cb`,
      body: `{"sequence":"${i}"}`,
    });
    maxSize = Math.max(maxSize, d.size);
  }
  assert.ok(maxSize <= maxPending, `queue peaked at ${maxSize}`);
  assert.ok(
    (await store.callbacks.listCallbackDeliveries(10 * flood)).length <= maxPending,
    'the stored queue is bounded too',
  );
  assert.equal(drops, flood - maxPending);
  // The store keeps a bounded number of attempt records; the newest are the drops.
  const newest = (await store.callbacks.listCallbackAttempts({ limit: 100 })).items;
  assert.ok(
    newest.length > 0 && newest.every((a) => a.resultCode === resultCodes.dropped),
    'each drop is recorded (ResultCode -3)',
  );
  assert.ok(maxOpen <= 16, `at most concurrency connections, saw ${maxOpen}`);
  assert.ok(requests <= 16 + 1, `only the attempts in flight reached the receiver: ${requests}`);
  await d.close();
});
