// The image's HEALTHCHECK: GET /readyz on the port of the service this image runs.
// Plain JavaScript with no imports, so it starts fast and needs nothing from node_modules.
const ports = {
  gateway: process.env.GATEWAY_PORT ?? '3000',
  invites: process.env.INVITES_HTTP_PORT ?? '9101',
  notifier: process.env.NOTIFIER_HTTP_PORT ?? '9102',
  webhooks: process.env.WEBHOOKS_HTTP_PORT ?? '9103',
};
const port = ports[process.env.SERVICE ?? ''];
if (!port) {
  console.error(`healthcheck: unknown SERVICE "${process.env.SERVICE}"`);
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2500) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
