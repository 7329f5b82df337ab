// Starts, stops (kill -9) and restarts the Livefeed server for the tests.
// The global setup starts one server on a free port with a temporary data
// directory and records it in .state/server.json; tests (in the worker
// processes) stop and restart it on the same port and data directory
// through that file; the global teardown kills it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const BIN = process.env.LIVEFEED_BIN ?? path.resolve(__dirname, '..', 'bin', 'livefeed');
const STATE_DIR = path.resolve(__dirname, '.state');
const STATE = path.join(STATE_DIR, 'server.json');

export type ServerState = {
  pid: number;
  port: number;
  dataDir: string;
  url: string;
  log: string;
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url + '/healthz', { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts the server and waits until GET /healthz answers. */
export async function startServer(port: number, dataDir: string, log: string): Promise<ServerState> {
  if (!fs.existsSync(BIN)) {
    throw new Error(`${BIN} does not exist: run "make build" first (or set LIVEFEED_BIN)`);
  }
  const url = `http://127.0.0.1:${port}`;
  const out = fs.openSync(log, 'a');
  const child = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data', dataDir], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.closeSync(out);
  const state: ServerState = { pid: child.pid!, port, dataDir, url, log };
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(STATE, JSON.stringify(state));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await healthy(url)) return state;
    if (!alive(state.pid)) break;
    await sleep(100);
  }
  const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
  throw new Error(`livefeed did not become healthy on ${url}; log:\n${tail}`);
}

export function serverState(): ServerState {
  return JSON.parse(fs.readFileSync(STATE, 'utf8'));
}

/** Kills the server with SIGKILL (no graceful shutdown) and waits for it to be gone. */
export async function stopServer(): Promise<void> {
  const s = serverState();
  try {
    process.kill(s.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  const deadline = Date.now() + 10_000;
  while (alive(s.pid) && Date.now() < deadline) await sleep(50);
  while ((await healthy(s.url)) && Date.now() < deadline) await sleep(50);
}

/** Starts the server again on the same port and data directory. */
export async function restartServer(): Promise<ServerState> {
  const s = serverState();
  if (alive(s.pid) && (await healthy(s.url))) return s;
  return startServer(s.port, s.dataDir, s.log);
}
