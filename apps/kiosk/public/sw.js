/*
 * Kiosk service worker: keeps the kiosk page's app shell (its HTML, its script bundle under
 * /kiosk-app/ and every /_next/static asset it loads) so that a reload while the network or the server is
 * down still starts the kiosk app, which then shows its own out-of-service screen in
 * the visitor's language instead of a browser error. The API is never cached.
 */
const VERSION = "kiosk-shell-v2";
const SHELL_URL = "/kiosk";
const PRECACHE = [SHELL_URL, "/manifest.webmanifest", "/icons/icon.svg", "/icons/icon-192.png", "/icons/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      await Promise.all(PRECACHE.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => undefined)));
      await cacheShellAssets(cache);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== VERSION) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

/** Finds the scripts and styles the shell HTML references and caches them too. */
async function cacheShellAssets(cache) {
  const response = await cache.match(SHELL_URL);
  if (!response) return;
  const html = await response.clone().text();
  const urls = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/(?:_next\/static|kiosk-app)\/[^"]+)"/g)) urls.add(m[1]);
  await Promise.all([...urls].map((url) => cache.add(url).catch(() => undefined)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;

  if (request.mode === "navigate" && (url.pathname === SHELL_URL || url.pathname.startsWith(`${SHELL_URL}/`))) {
    event.respondWith(networkFirstShell(request));
    return;
  }
  // Both hold content-hashed file names only (the kiosk page's script and chunks are under /kiosk-app/).
  if (url.pathname.startsWith("/_next/static/") || url.pathname.startsWith("/kiosk-app/")) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (PRECACHE.includes(url.pathname) || url.pathname.startsWith("/icons/")) {
    event.respondWith(staleWhileRevalidate(request));
  }
});

async function networkFirstShell(request) {
  const cache = await caches.open(VERSION);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(SHELL_URL, response.clone());
      void cacheShellAssets(cache);
    }
    return response;
  } catch {
    const cached = await cache.match(SHELL_URL, { ignoreSearch: true });
    return cached ?? offlinePage();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(VERSION);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(VERSION);
  const cached = await cache.match(request, { ignoreSearch: true });
  const refresh = fetch(request)
    .then((response) => {
      if (response.ok) void cache.put(request, response.clone());
      return response;
    })
    .catch(() => undefined);
  return cached ?? (await refresh) ?? new Response("", { status: 504 });
}

/** Last resort when even the shell was never cached: a static out-of-service page that retries. */
function offlinePage() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Out of service</title><meta http-equiv="refresh" content="15">
<style>body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:1rem;background:#f3f5f9;color:#0f172a;font:1.6rem/1.4 system-ui,sans-serif;text-align:center;padding:2rem}h1{font-size:2.6rem;margin:0}</style></head>
<body data-screen="out_of_service"><h1>Sorry, this kiosk is out of service</h1><p>Please buy your tickets at the ticket office or use another kiosk.</p>
<p lang="zh-Hans">抱歉，此售票机暂停服务。请到售票处购票。</p><p lang="zh-Hant">抱歉，此售票機暫停服務。請至售票處購票。</p>
<p lang="ja">申し訳ありません。この券売機は現在ご利用いただけません。</p><p lang="ko">죄송합니다. 이 키오스크는 현재 이용할 수 없습니다.</p></body></html>`;
  return new Response(html, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}
