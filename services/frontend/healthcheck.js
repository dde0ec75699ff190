'use strict';
// Container health probe (the runtime image has no curl): exit 0 when this
// container's own GET /api/health answers 200, 1 otherwise.
const http = require('node:http');

const url = `http://127.0.0.1:${process.env.PORT || '3000'}/api/health`;
const req = http.get(url, { timeout: 5000 }, (res) => {
  res.resume();
  if (res.statusCode !== 200) console.log(`unhealthy: ${url} answered ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.log(`unhealthy: ${url}: ${err.message}`);
  process.exit(1);
});
