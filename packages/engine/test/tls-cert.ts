// A self-signed certificate for 127.0.0.1/localhost, made with openssl in a temp dir (.ci/run installs it).
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function makeCert(cn = 'localhost', passphrase?: string): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-tls-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ...(passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${passphrase}`]),
    ],
    { stdio: 'ignore' },
  )
  return { dir, cert, key }
}
