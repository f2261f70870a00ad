import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Writable } from 'node:stream'

/**
 * A line-oriented log destination that batches writes: lines are joined and handed to the stream once
 * per event-loop turn (or at 64 KiB), so logging costs one write call per burst, not per request.
 */
export class LogSink {
  private buffer = ''
  private scheduled = false
  constructor(
    private readonly out: Writable,
    private readonly owned: boolean,
  ) {}

  static console(stream: 'stdout' | 'stderr'): LogSink {
    return new LogSink(stream === 'stdout' ? process.stdout : process.stderr, false)
  }

  static file(dir: string, name: string): LogSink {
    mkdirSync(dir, { recursive: true })
    return new LogSink(createWriteStream(join(dir, name), { flags: 'a' }), true)
  }

  write(line: string): void {
    this.buffer += `${line}\n`
    if (this.buffer.length > 65536) this.flush()
    else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(flushSink, this)
    }
  }

  flush(): void {
    this.scheduled = false
    if (this.buffer.length === 0) return
    const data = this.buffer
    this.buffer = ''
    this.out.write(data)
  }

  /** Flush and, for files, close; resolves when the data is written. */
  close(): Promise<void> {
    this.flush()
    if (!this.owned) return Promise.resolve()
    return new Promise((resolve) => this.out.end(resolve))
  }
}

function flushSink(sink: LogSink): void {
  sink.flush()
}
