// Starts, stops (kill -9) and restarts the Livefeed server for the tests.
// The global setup starts one server on a free port with a temporary data
// directory and records it in .state/server.json; tests (in the worker
// processes) stop and restart it on the same port and data directory
// through that file; the global teardown kills it.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
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

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

export async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url + '/healthz', { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts the server and waits until GET /healthz answers. */
export async function startServer(port: number, dataDir: string, log: string): Promise<ServerState> {
  return launch(port, dataDir, log, [], true);
}

/**
 * Starts another server (not the suite's shared one) with extra flags, for
 * a spec that needs its own settings (e.g. --heartbeat 1s). Stop it with
 * stopExtraServer; the global teardown kills any left behind.
 */
export async function startExtraServer(name: string, extraArgs: string[]): Promise<ServerState> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `livefeed-e2e-${name}-`));
  const log = path.resolve(__dirname, 'artifacts', `server-${name}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, '');
  return launch(await freePort(), dataDir, log, extraArgs, false);
}

/** Kills a server started by startExtraServer and removes its data. */
export async function stopExtraServer(s: ServerState): Promise<void> {
  await killAndWait(s);
  forgetPid(s.pid);
  if (!process.env.KEEP_DATA) fs.rmSync(s.dataDir, { recursive: true, force: true });
}

/**
 * Kills a server started by startExtraServer, removes everything in its
 * data directory when wipe is set (a log lost or replaced: a new epoch),
 * and starts it again on the same port and data directory with extraArgs.
 */
export async function restartExtraServer(s: ServerState, extraArgs: string[], wipe: boolean): Promise<ServerState> {
  await killAndWait(s);
  forgetPid(s.pid);
  if (wipe) {
    fs.rmSync(s.dataDir, { recursive: true, force: true });
    fs.mkdirSync(s.dataDir, { recursive: true });
  }
  return launch(s.port, s.dataDir, s.log, extraArgs, false);
}

async function launch(
  port: number,
  dataDir: string,
  log: string,
  extraArgs: string[],
  shared: boolean,
  bin: string = BIN,
): Promise<ServerState> {
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} does not exist: run "make build" first (or set LIVEFEED_BIN)`);
  }
  const url = `http://127.0.0.1:${port}`;
  const out = fs.openSync(log, 'a');
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', dataDir, ...extraArgs], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.closeSync(out);
  const state: ServerState = { pid: child.pid!, port, dataDir, url, log };
  fs.mkdirSync(STATE_DIR, { recursive: true });
  if (shared) fs.writeFileSync(STATE, JSON.stringify(state));
  else rememberPid(state.pid, bin);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await healthy(url)) return state;
    if (!alive(state.pid)) break;
    await sleep(100);
  }
  const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
  throw new Error(`livefeed did not become healthy on ${url}; log:\n${tail}`);
}

// Processes the specs start besides the shared server (extra servers, fault
// proxies), one "pid binary" a line, so that the global teardown can kill
// what a crashed worker left behind (only if the pid still runs binary).
const EXTRA = path.join(STATE_DIR, 'extra-pids');

export function rememberPid(pid: number, bin: string) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.appendFileSync(EXTRA, `${pid} ${bin}\n`);
}

export function forgetPid(pid: number) {
  if (!fs.existsSync(EXTRA)) return;
  const rest = fs
    .readFileSync(EXTRA, 'utf8')
    .split('\n')
    .filter((l) => l && Number(l.split(' ')[0]) !== pid);
  fs.writeFileSync(EXTRA, rest.map((l) => l + '\n').join(''));
}

/** Kills (SIGKILL) the processes rememberPid recorded that still run their binary. */
export function killRemembered() {
  if (!fs.existsSync(EXTRA)) return;
  for (const l of fs.readFileSync(EXTRA, 'utf8').split('\n')) {
    const sp = l.indexOf(' ');
    const pid = Number(l.slice(0, sp));
    const bin = l.slice(sp + 1);
    if (!pid || !bin) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    } catch {
      continue; // gone (or no /proc: leave it alone)
    }
    if (cmd !== bin) continue; // the pid was reused
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(EXTRA, { force: true });
}

async function killAndWait(s: ServerState) {
  try {
    process.kill(s.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  const deadline = Date.now() + 10_000;
  while (alive(s.pid) && Date.now() < deadline) await sleep(50);
  while ((await healthy(s.url)) && Date.now() < deadline) await sleep(50);
}

export function serverState(): ServerState {
  return JSON.parse(fs.readFileSync(STATE, 'utf8'));
}

/** Kills the server with SIGKILL (no graceful shutdown) and waits for it to be gone. */
export async function stopServer(): Promise<void> {
  await killAndWait(serverState());
}

/** Starts the server again on the same port and data directory. */
export async function restartServer(): Promise<ServerState> {
  const s = serverState();
  if (alive(s.pid) && (await healthy(s.url))) return s;
  return startServer(s.port, s.dataDir, s.log);
}

/**
 * Builds the server with another version (-X main.version=version) into
 * dir and returns the binary's path. It embeds the same web/ as the
 * suite's binary (build that first): only the version differs, which is
 * what go-app's app script and service worker carry.
 */
export function buildServer(dir: string, version: string): string {
  const bin = path.join(dir, 'livefeed');
  execFileSync(
    process.env.GO ?? 'go',
    ['build', '-trimpath', '-ldflags', `-X main.version=${version}`, '-o', bin, './server/cmd/livefeed'],
    { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' },
  );
  return bin;
}

/**
 * Replaces the shared server (SIGKILL) by bin on the same port and data
 * directory, as a deployment of another build would; replaceServer() puts
 * the suite's own binary back.
 */
export async function replaceServer(bin: string = BIN): Promise<ServerState> {
  const s = serverState();
  await killAndWait(s);
  return launch(s.port, s.dataDir, s.log, [], true, bin);
}
