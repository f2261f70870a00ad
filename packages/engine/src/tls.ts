import { readFileSync } from 'node:fs'
import type { Server as HttpsServer } from 'node:https'
import type { SecureContextOptions } from 'node:tls'

/**
 * `skitai.enableSsl(certFile, keyFile, passphrase?)` (README "HTTP/2 and TLS"): the files are read when
 * the server starts and again on SIGHUP, so a renewed certificate is taken without a restart (new
 * connections get it; open ones keep theirs).
 */
export interface TlsFiles {
  readonly cert: string
  readonly key: string
  readonly passphrase: string | undefined
}

/** Read the certificate and key; a clear error names the file that cannot be read. */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  return {
    cert: readOrThrow(files.cert, 'certificate'),
    key: readOrThrow(files.key, 'key'),
    passphrase: files.passphrase,
  }
}

function readOrThrow(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e: any) {
    throw new Error(`enableSsl: cannot read the ${what} file ${file}: ${e?.code ?? e?.message ?? e}`)
  }
}

/**
 * Re-read the files on SIGHUP while the server runs. A renewal that fails (a missing or bad file, a
 * wrong passphrase) is logged and the old certificate stays. Returns the function that stops listening.
 */
export function reloadTlsOnSighup(
  server: HttpsServer,
  files: TlsFiles,
  log: (level: 'info' | 'error', message: string) => void,
): () => void {
  const onHup = () => {
    try {
      server.setSecureContext(readTlsFiles(files))
      log('info', `skitai: SIGHUP: certificate re-read from ${files.cert}`)
    } catch (e: any) {
      log('error', `skitai: SIGHUP: keeping the old certificate: ${e?.message ?? e}`)
    }
  }
  process.on('SIGHUP', onHup)
  return () => process.removeListener('SIGHUP', onHup)
}
