import fs from 'node:fs';
import { killRemembered, serverState, stopServer } from './server';

export default async function globalTeardown() {
  killRemembered(); // extra servers and proxies a failed spec left behind
  let dataDir = '';
  try {
    dataDir = serverState().dataDir;
    await stopServer();
  } catch {
    /* nothing started */
  }
  if (dataDir && !process.env.KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  if (process.env.FAULTPROXY_DIR) fs.rmSync(process.env.FAULTPROXY_DIR, { recursive: true, force: true });
}
