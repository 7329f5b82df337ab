import fs from 'node:fs';
import { serverState, stopServer } from './server';

export default async function globalTeardown() {
  let dataDir = '';
  try {
    dataDir = serverState().dataDir;
    await stopServer();
  } catch {
    /* nothing started */
  }
  if (dataDir && !process.env.KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
}
