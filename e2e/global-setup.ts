import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFaultProxy } from './faultproxy';
import { freePort, killRemembered, startServer } from './server';

export default async function globalSetup() {
  killRemembered(); // what an interrupted run may have left
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-e2e-'));
  const artifacts = path.resolve(__dirname, 'artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  const log = path.join(artifacts, 'server.log');
  fs.writeFileSync(log, '');
  fs.rmSync(path.join(artifacts, 'resilience.json'), { force: true });
  // The fault proxy of the resilience spec, built once (FAULTPROXY_BIN=...
  // uses a prebuilt one).
  if (!process.env.FAULTPROXY_BIN) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-e2e-bin-'));
    process.env.FAULTPROXY_DIR = dir;
    process.env.FAULTPROXY_BIN = buildFaultProxy(dir);
  }
  const port = await freePort();
  const s = await startServer(port, dataDir, log);
  // Workers inherit the environment set here.
  process.env.LIVEFEED_URL = s.url;
  console.log(`livefeed serving ${s.url} (data ${dataDir}, log ${log})`);
}
