//go:build !js

package ui

import (
	"strconv"
	"time"
)

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
//   - page navigations go to the network first, and to the cached "/"
//     shell only when the network fails or takes longer than
//     NavigationTimeout (offline, or a network that hangs): the app routes
//     by the URL, so the shell opens the right feed. A page from the
//     network is prerendered for its reader with their feed (first-paint.go:
//     the posts are on screen before the wasm starts) and is never cached:
//     it would be stale at the next visit, and on a shared device it would
//     show one reader's name and posts to the next after a sign-out. The
//     shell is precached without credentials (credentials: "omit"), so it
//     is the page for no one: offline, the app starts from it and shows
//     the reader's own cached feed (localStorage, removed at sign-out).
//     Navigation preload lets the page's request start while the worker
//     starts. See docs/operations.md, "The first paint".
var ServiceWorkerJS = `// Livefeed service worker, version {{.Version}}.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
// How long a page navigation waits for the network before the cached shell
// is shown instead (NavigationTimeout).
const navigationTimeout = ` + navigationTimeoutMS + `;

self.addEventListener("install", (event) => {
  console.log("installing app worker {{.Version}}");
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    // Without credentials: the "/" shell must be the page for no one.
    await cache.addAll(resourcesToCache.map((url) => new Request(url, { credentials: "omit" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k !== cacheName).map((k) => caches.delete(k)));
    // Page navigations start on the network while the worker starts.
    if (self.registration.navigationPreload) {
      await self.registration.navigationPreload.enable();
    }
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
  event.respondWith(request.mode === "navigate" ? navigate(event) : fetchWithCache(request));
});

async function fetchWithCache(request) {
  const cached = await caches.match(request);
  if (cached) {
    return cached;
  }
  return fetch(request);
}

// navigate answers a page navigation from the network (the page
// prerendered for its reader, never stored; the navigation preload's
// response when there is one), or with the cached shell when the network
// fails or is slower than navigationTimeout.
async function navigate(event) {
  let timer;
  const late = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error("no page from the network in time")), navigationTimeout);
  });
  try {
    const preloaded = await Promise.race([event.preloadResponse, late]);
    if (preloaded) {
      return preloaded;
    }
    return await Promise.race([fetch(event.request), late]);
  } catch (err) {
    const shell = await caches.match("/", { ignoreVary: true });
    if (shell) {
      return shell;
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
`

// NavigationTimeout is how long the service worker waits for a page from
// the network before it shows the cached shell (the page for no one, from
// which the app opens the reader's cached feed).
const NavigationTimeout = 3 * time.Second

var navigationTimeoutMS = strconv.Itoa(int(NavigationTimeout / time.Millisecond))
