/**
 * An independent Glue Data Catalog for tests: moto's server (installed with Python's moto), on a
 * free local port, and a client of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { GlueClient } from '@aws-sdk/client-glue';

/** A running moto server and a Glue client of it. */
export interface MotoGlue {
  glue: GlueClient;
  endpoint: string;
  close(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts moto's server; resolves once it accepts requests. Its catalogs are per region. */
export async function startMotoGlue(region = 'eu-west-1'): Promise<MotoGlue> {
  const port = await freePort();
  const moto: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Ready once it logs that it is running (werkzeug prints "Running on http://127.0.0.1:<port>").
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('Running on')) resolve();
    };
    moto.stdout?.on('data', onData);
    moto.stderr?.on('data', onData);
    moto.once('exit', (code) => reject(new Error(`moto_server exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const glue = new GlueClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    glue,
    endpoint,
    close() {
      glue.destroy();
      moto.kill();
    },
  };
}
