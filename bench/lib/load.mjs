// One autocannon round through its programmatic API.
import autocannon from 'autocannon'

/**
 * @param {{port:number, request:{method?:string, path:string, body?:string, headers?:Record<string,string>},
 *   connections:number, pipelining:number, duration:number}} o
 */
export async function loadRound(o) {
  const r = await autocannon({
    url: `http://127.0.0.1:${o.port}${o.request.path}`,
    method: o.request.method ?? 'GET',
    body: o.request.body,
    headers: o.request.headers,
    connections: o.connections,
    pipelining: o.pipelining,
    duration: o.duration,
  })
  // requests.average is a per-second sample mean and is 0 for sub-second rounds; total / time is not.
  const seconds = r.duration > 0 ? r.duration : o.duration
  return {
    rps: r.requests.total / seconds,
    requests: r.requests.total,
    latency: { mean: r.latency.mean, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  }
}
