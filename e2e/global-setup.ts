import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startServer } from './server';

export default async function globalSetup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-e2e-'));
  const artifacts = path.resolve(__dirname, 'artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  const log = path.join(artifacts, 'server.log');
  fs.writeFileSync(log, '');
  const port = await freePort();
  const s = await startServer(port, dataDir, log);
  // Workers inherit the environment set here.
  process.env.LIVEFEED_URL = s.url;
  console.log(`livefeed serving ${s.url} (data ${dataDir}, log ${log})`);
}
