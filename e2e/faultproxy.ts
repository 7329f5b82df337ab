// The fault-injection proxy (server/internal/faultproxy/cmd/faultproxy) as a
// process between the browser and a server: the global setup builds it once
// (FAULTPROXY_BIN); a spec starts one per server and drives it through its
// HTTP control API.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { alive, forgetPid, rememberPid, sleep } from './server';

export const REPO = path.resolve(__dirname, '..');
export const FAULTPROXY_PKG = './server/internal/faultproxy/cmd/faultproxy';

/** Builds the proxy command into dir and returns the binary's path. */
export function buildFaultProxy(dir: string): string {
  const bin = path.join(dir, 'faultproxy');
  execFileSync(process.env.GO ?? 'go', ['build', '-o', bin, FAULTPROXY_PKG], { cwd: REPO, stdio: 'inherit' });
  return bin;
}

export type ProxySettings = {
  target: string;
  blackhole: boolean;
  latency_ms: number;
  bandwidth_bps: number;
  cuts: number;
};

export class FaultProxy {
  private constructor(
    readonly pid: number,
    /** The proxy's address, host:port. */
    readonly addr: string,
    /** Its control API, http://host:port. */
    readonly control: string,
  ) {}

  /** The proxy's base URL for a browser: http://127.0.0.1:PORT. */
  get url(): string {
    return `http://${this.addr}`;
  }

  /** Starts a proxy to target (host:port) on free loopback ports. */
  static async start(target: string, logFile: string): Promise<FaultProxy> {
    const bin = process.env.FAULTPROXY_BIN;
    if (!bin || !fs.existsSync(bin)) {
      throw new Error(`FAULTPROXY_BIN (${bin}) is not built: the global setup builds it`);
    }
    const log = fs.openSync(logFile, 'a');
    const child = spawn(bin, ['--listen', '127.0.0.1:0', '--target', target, '--control', '127.0.0.1:0'], {
      detached: true,
      stdio: ['ignore', 'pipe', log],
    });
    fs.closeSync(log);
    rememberPid(child.pid!, bin);
    // The first line on stdout says where it listens.
    const line = await new Promise<string>((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout! });
      const timer = setTimeout(() => reject(new Error('faultproxy did not start within 10 s')), 10_000);
      rl.once('line', (l) => {
        clearTimeout(timer);
        rl.close();
        resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`faultproxy exited with ${code}; see ${logFile}`)));
    });
    child.stdout!.resume(); // never let a full pipe block it
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    child.unref();
    const { listen, control } = JSON.parse(line) as { listen: string; control: string };
    return new FaultProxy(child.pid!, listen, `http://${control}`);
  }

  private async order(path: string): Promise<ProxySettings> {
    const res = await fetch(this.control + path, { method: 'POST', signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`faultproxy ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as ProxySettings;
  }

  /** Closes every open connection. */
  cut() {
    return this.order('/cut');
  }
  /** Stops (true) or resumes (false) all traffic without closing anything. */
  blackhole(on: boolean) {
    return this.order(`/blackhole?on=${on}`);
  }
  latency(ms: number) {
    return this.order(`/latency?ms=${ms}`);
  }
  bandwidth(bytesPerSecond: number) {
    return this.order(`/bandwidth?bps=${bytesPerSecond}`);
  }

  async stop() {
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + 5000;
    while (alive(this.pid) && Date.now() < deadline) await sleep(20);
    forgetPid(this.pid);
  }
}
