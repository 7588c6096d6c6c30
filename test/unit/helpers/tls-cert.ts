// A self-signed certificate for 127.0.0.1, made with the openssl command at test time.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
  key: Buffer;
  cert: Buffer;
}

export function opensslAvailable(): boolean {
  const probe = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

export function makeSelfSignedCert(dir: string): SelfSignedCert {
  const keyFile = join(dir, 'server-key.pem');
  const certFile = join(dir, 'server-cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl could not create a test certificate: ${result.stderr || result.error?.message}`);
  return { keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}
