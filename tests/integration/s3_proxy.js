// A misbehaving front for the S3 server of test_s3.sh (and bench/bench_s3.sh): forwards
// every request to 127.0.0.1:TARGET unchanged, after DELAY_MS (a slow server); answers
// every FAIL_EVERY-th ranged GET with 503 SlowDown, as S3 does when throttling; and
// holds the answers of requests number STALL_FROM.. for STALL_MS (a server that stops
// answering). Listens on 127.0.0.1 only, on an ephemeral port it prints first:
//   node s3_proxy.js TARGET DELAY_MS FAIL_EVERY [STALL_FROM STALL_MS]
'use strict';
const http = require('http');
const [target, delayMs, failEvery, stallFrom, stallMs] = process.argv.slice(2).map(Number);
let gets = 0, requests = 0;
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => {
  requests++;
  const n = requests;
  const ranged = req.method === 'GET' && req.headers.range;
  if (ranged && failEvery > 0 && ++gets % failEvery === 0) {
    res.writeHead(503, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
            '<Message>Please reduce your request rate.</Message></Error>');
    return;
  }
  const hold = stallFrom > 0 && n >= stallFrom ? stallMs : 0;
  setTimeout(() => {
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url,
                              headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.destroy(); });
    req.pipe(up);
  }, (delayMs || 0) + (hold || 0));
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
