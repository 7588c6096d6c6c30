// The Redis client, in a module of its own so it is loaded only when REDIS_URL is set (cache.ts imports this
// dynamically). A static re-export keeps the named export when the CLI is bundled; a dynamic import of the
// CommonJS package itself would only have a default export there.
export { createClient } from 'redis';
