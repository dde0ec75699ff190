'use strict';
// The reference frontend's server: no dependencies, only node:http.
//  - GET /api/health        this process's own health (see healthPayload).
//  - GET /api/health?deep=1 the same, but 503 unless the backend's /health is 200.
//  - /api/*                 proxied to BACKEND_URL, so the browser talks to one origin.
//  - anything else          static files from STATIC_DIR (index.html for "/").
// Settings are validated before listening; a bad one ends the process with one
// line on stderr and exit status 78 (EX_CONFIG), like the backend.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const EX_CONFIG = 78;
const PROXY_TIMEOUT_MS = 30_000;
const DEEP_HEALTH_TIMEOUT_MS = 3_000;
const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
// Headers that describe one connection, not the message (RFC 9110 section 7.6.1).
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
]);
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

class ConfigError extends Error {}

function parsePort(raw, name = 'PORT') {
  const text = String(raw).trim();
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new ConfigError(`${name}='${raw}' is not a valid TCP port; use an integer from 1 to 65535`);
  }
  return port;
}

function loadConfig(env) {
  const rawBackend = env.BACKEND_URL || 'http://backend:8000';
  let backendUrl;
  try {
    backendUrl = new URL(rawBackend);
  } catch {
    throw new ConfigError(`BACKEND_URL='${rawBackend}' is not a URL; use e.g. http://backend:8000`);
  }
  if (backendUrl.protocol !== 'http:') {
    throw new ConfigError(`BACKEND_URL must use http:// (got ${backendUrl.protocol}); the backend is on the private network`);
  }
  return {
    port: parsePort(env.PORT || '3000'),
    backendUrl,
    staticDir: path.resolve(env.STATIC_DIR || path.join(__dirname, 'dist')),
    version: (env.APP_VERSION || '').trim() || '0.0.0',
  };
}

// The same shape as the backend's GET /health (timestamp: ISO 8601, UTC, seconds).
function healthPayload(healthy, startedAt, version, now = Date.now()) {
  return {
    status: healthy ? 'healthy' : 'unhealthy',
    timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    version,
    uptime: Math.max(0, Math.floor((now - startedAt) / 1000)),
  };
}

// The file under root that urlPath names, or null if it would leave root.
function resolveStatic(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function sendJson(res, statusCode, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(data);
}

function checkBackend(backendUrl, timeoutMs = DEEP_HEALTH_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const req = http.get(new URL('/health', backendUrl), { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

function proxy(req, res, backendUrl) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const client = req.socket.remoteAddress || '';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${client}` : client;
  headers['x-forwarded-host'] = req.headers.host || '';
  headers['x-forwarded-proto'] = 'http';
  const upstream = http.request(
    new URL(req.url, backendUrl),
    { method: req.method, headers, timeout: PROXY_TIMEOUT_MS },
    (answer) => {
      const out = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode, out);
      answer.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('backend timed out')));
  upstream.on('error', (err) => {
    if (res.headersSent) {
      res.destroy(err);
    } else {
      const timedOut = err.message === 'backend timed out';
      sendJson(res, timedOut ? 504 : 502, { detail: timedOut ? 'backend timed out' : 'backend unavailable' });
    }
  });
  req.pipe(upstream);
}

function serveStatic(req, res, staticDir) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { detail: 'method not allowed' }, { allow: 'GET, HEAD' });
    return;
  }
  let file = resolveStatic(staticDir, req.url);
  if (file === null) {
    sendJson(res, 400, { detail: 'bad path' });
    return;
  }
  // Paths without an extension are the page's own routes: answer with the page.
  if (!path.extname(file)) file = path.join(staticDir, 'index.html');
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      sendJson(res, 404, { detail: 'not found' });
      return;
    }
    const isPage = file.endsWith('.html');
    res.writeHead(200, {
      'content-type': MIME_TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': isPage ? 'no-cache' : 'public, max-age=300',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(file).on('error', (e) => res.destroy(e)).pipe(res);
  });
}

function createServer(config, startedAt = Date.now()) {
  return http.createServer((req, res) => {
    const { pathname, searchParams } = new URL(req.url, 'http://frontend');
    if (pathname === '/api/health') {
      if (searchParams.get('deep') !== '1') {
        sendJson(res, 200, healthPayload(true, startedAt, config.version));
        return;
      }
      checkBackend(config.backendUrl).then((ok) => {
        sendJson(res, ok ? 200 : 503, healthPayload(ok, startedAt, config.version));
      });
      return;
    }
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      proxy(req, res, config.backendUrl);
      return;
    }
    serveStatic(req, res, config.staticDir);
  });
}

function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`todo-frontend: configuration error: ${err.message}\n`);
    process.exit(EX_CONFIG);
  }
  const server = createServer(config);
  server.listen(config.port, '0.0.0.0', () => {
    console.log(`todo-frontend ${config.version} listening on :${config.port}, static ${config.staticDir}, /api -> ${config.backendUrl.origin}`);
  });
  // As PID 1 in a container node ignores SIGTERM unless told otherwise; stop
  // cleanly so `docker stop` does not wait 10 s for SIGKILL.
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { ConfigError, checkBackend, createServer, healthPayload, loadConfig, parsePort, resolveStatic };

if (require.main === module) main();
