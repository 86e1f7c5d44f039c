/**
 * The CSP test's control: a worker that tries to compile code from a string. Under the test's
 * policy this must be refused, and its violation must reach the report collector — proof that
 * violations in workers are seen at all (so "no other report" means something).
 */
const events: { directive: string; blocked: string }[] = [];
self.addEventListener('securitypolicyviolation', (e) => events.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
let blocked = false;
try {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('return 1')();
} catch {
  blocked = true;
}
setTimeout(() => self.postMessage({ blocked, events }), 50);
