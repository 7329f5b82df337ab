//go:build !js

package ui

// ServiceWorkerJS is the app-worker.js template (go-app fills in
// {{.Version}} and {{.ResourcesToCache}}). It differs from go-app's default:
//
//   - install and activate use event.waitUntil, so the worker only takes
//     over once every resource is cached (go-app's default does not wait);
//   - activate does not call clients.claim(): a first visit stays
//     uncontrolled until its next load. With waitUntil, claiming would make
//     go-app's page script (which treats "activated while controlled" as an
//     update) announce an update on every first visit. Reloads and offline
//     starts go through the worker either way, and skipWaiting hands pages
//     already controlled by an older version over to a new one;
//   - API calls (/api/...) and other non-GET requests bypass the worker:
//     the HTTP transport's stream and polls (/api/live/down) included, since
//     a worker that answers a stream breaks it (Firefox drops it after 30 s,
//     Chrome stops a worker within minutes even while it streams: go-app
//     issue 1106); e2e/tests/fallback.spec.ts holds a stream for two
//     minutes through a controlled page;
//   - a page navigation that misses the cache and fails on the network (a
//     named feed /f/NAME opened offline) is answered with the cached "/"
//     shell: the app routes by the URL, so it opens the right feed.
const ServiceWorkerJS = `// Livefeed service worker, version {{.Version}}.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

self.addEventListener("install", (event) => {
  console.log("installing app worker {{.Version}}");
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    await cache.addAll(resourcesToCache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k !== cacheName).map((k) => caches.delete(k)));
    console.log("app worker {{.Version}} is activated");
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") ||
      url.pathname === "/ws" || url.pathname === "/healthz" ||
      url.pathname === "/readyz" || url.pathname === "/metrics") {
    return;
  }
  event.respondWith(fetchWithCache(request));
});

async function fetchWithCache(request) {
  const cached = await caches.match(request);
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (err) {
    if (request.mode === "navigate") {
      const shell = await caches.match("/");
      if (shell) {
        return shell;
      }
    }
    throw err;
  }
}
`
