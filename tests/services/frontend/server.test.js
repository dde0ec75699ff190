'use strict';
// Unit tests of services/frontend/server.js, run with `node --test` (and from
// pytest by tests/services/test_frontend_server.py). No engine, no network
// beyond 127.0.0.1: a fake backend stands in for the real one.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const server = require('../../../services/frontend/server.js');

function listen(srv) {
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));
}

function close(srv) {
  return new Promise((resolve) => {
    srv.closeAllConnections();
    srv.close(() => resolve());
  });
}

async function request(port, urlPath, { method = 'GET', headers = {}, body } = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

describe('parsePort', () => {
  for (const good of ['1', '3000', '65535', ' 80 ']) {
    test(`accepts ${JSON.stringify(good)}`, () => assert.equal(server.parsePort(good), Number(good)));
  }
  for (const bad of ['0', '65536', 'http', '-1', '3000.5', '']) {
    test(`rejects ${JSON.stringify(bad)} with one line`, () => {
      assert.throws(() => server.parsePort(bad), (err) => err instanceof server.ConfigError
        && err.message.includes('is not a valid TCP port') && !err.message.includes('\n'));
    });
  }
});

describe('loadConfig', () => {
  test('defaults', () => {
    const config = server.loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.backendUrl.origin, 'http://backend:8000');
    assert.equal(config.version, '0.0.0');
  });
  test('reads APP_VERSION and BACKEND_URL', () => {
    const config = server.loadConfig({ APP_VERSION: '1.4.2', BACKEND_URL: 'http://127.0.0.1:9000' });
    assert.equal(config.version, '1.4.2');
    assert.equal(config.backendUrl.port, '9000');
  });
  test('rejects a BACKEND_URL that is not http', () => {
    assert.throws(() => server.loadConfig({ BACKEND_URL: 'ftp://x' }), server.ConfigError);
    assert.throws(() => server.loadConfig({ BACKEND_URL: 'not a url' }), server.ConfigError);
  });
});

describe('healthPayload', () => {
  test('has the shared shape', () => {
    const body = server.healthPayload(true, 1_000, '1.0.0', 62_500);
    assert.deepEqual(Object.keys(body).sort(), ['status', 'timestamp', 'uptime', 'version']);
    assert.equal(body.status, 'healthy');
    assert.equal(body.uptime, 61);
    assert.equal(body.timestamp, '1970-01-01T00:01:02Z');
  });
  test('never reports negative uptime', () => {
    assert.equal(server.healthPayload(false, 5_000, 'x', 1_000).uptime, 0);
    assert.equal(server.healthPayload(false, 5_000, 'x', 1_000).status, 'unhealthy');
  });
});

describe('resolveStatic', () => {
  const root = path.resolve('/srv/static');
  test('maps / to index.html', () => assert.equal(server.resolveStatic(root, '/'), path.join(root, 'index.html')));
  test('ignores the query string', () => assert.equal(server.resolveStatic(root, '/app.js?v=1'), path.join(root, 'app.js')));
  for (const evil of ['/../etc/passwd', '/..%2f..%2fetc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/a/../../b']) {
    test(`keeps ${evil} inside the root`, () => {
      const file = server.resolveStatic(root, evil);
      assert.ok(file === null || file.startsWith(root + path.sep), file);
    });
  }
  test('rejects malformed escapes and NUL', () => {
    assert.equal(server.resolveStatic(root, '/%E0%A4%A'), null);
    assert.equal(server.resolveStatic(root, '/a%00.js'), null);
  });
});

describe('server', () => {
  let backend;
  let frontend;
  let frontendPort;
  let backendPort;
  let staticDir;
  const seen = [];

  before(async () => {
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontend-static-'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<p id="page">hi</p>');
    fs.writeFileSync(path.join(staticDir, 'app.js'), 'console.log(1)');
    backend = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/health') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"status":"healthy"}');
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json', 'x-backend': 'yes' });
        res.end(JSON.stringify({ echoed: body }));
      });
    });
    backendPort = await listen(backend);
    frontend = server.createServer({
      port: 0,
      backendUrl: new URL(`http://127.0.0.1:${backendPort}`),
      staticDir,
      version: '9.9.9',
    }, Date.now() - 3_000);
    frontendPort = await listen(frontend);
  });

  after(async () => {
    await close(frontend);
    if (backend.listening) await close(backend);
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  test('GET /api/health answers its own health', async () => {
    const answer = await request(frontendPort, '/api/health');
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.text);
    assert.equal(body.status, 'healthy');
    assert.equal(body.version, '9.9.9');
    assert.ok(body.uptime >= 3);
  });

  test('GET /api/health?deep=1 checks the backend', async () => {
    const answer = await request(frontendPort, '/api/health?deep=1');
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.text).status, 'healthy');
  });

  test('proxies /api/* with method, path, query, body and auth header', async () => {
    const answer = await request(frontendPort, '/api/todos?x=1', {
      method: 'POST',
      headers: { authorization: 'Bearer abc', 'content-type': 'application/json' },
      body: '{"title":"t"}',
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers.get('x-backend'), 'yes');
    assert.deepEqual(JSON.parse(answer.text), { echoed: '{"title":"t"}' });
    const last = seen.at(-1);
    assert.equal(last.method, 'POST');
    assert.equal(last.url, '/api/todos?x=1');
    assert.equal(last.headers.authorization, 'Bearer abc');
    assert.equal(last.headers['x-forwarded-proto'], 'http');
  });

  test('serves the page, its assets and security headers', async () => {
    const page = await request(frontendPort, '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
    assert.equal(page.text, '<p id="page">hi</p>');
    const script = await request(frontendPort, '/app.js');
    assert.match(script.headers.get('content-type'), /javascript/);
  });

  test('answers page routes with index.html and missing assets with 404', async () => {
    assert.equal((await request(frontendPort, '/todos')).text, '<p id="page">hi</p>');
    assert.equal((await request(frontendPort, '/missing.js')).status, 404);
  });

  test('refuses to write static files', async () => {
    assert.equal((await request(frontendPort, '/index.html', { method: 'POST' })).status, 405);
  });

  test('502 and unhealthy deep check when the backend is down', async () => {
    await close(backend);
    const proxied = await request(frontendPort, '/api/todos');
    assert.equal(proxied.status, 502);
    assert.deepEqual(JSON.parse(proxied.text), { detail: 'backend unavailable' });
    const deep = await request(frontendPort, '/api/health?deep=1');
    assert.equal(deep.status, 503);
    assert.equal(JSON.parse(deep.text).status, 'unhealthy');
    assert.equal((await request(frontendPort, '/api/health')).status, 200);
  });
});

describe('main', () => {
  const { spawnSync } = require('node:child_process');
  const script = path.resolve(__dirname, '../../../services/frontend/server.js');
  test('a bad PORT ends the process with exit 78 and one stderr line', () => {
    const result = spawnSync(process.execPath, [script], { env: { PORT: 'abc' }, encoding: 'utf8' });
    assert.equal(result.status, 78);
    assert.equal(result.stderr, "todo-frontend: configuration error: PORT='abc' is not a valid TCP port; use an integer from 1 to 65535\n");
  });
});
