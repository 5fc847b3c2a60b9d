export { startTestServer } from './test-server.js';
export type { TestServer, TestServerOptions } from './test-server.js';
export { startServerProcess, cliPath } from './server-process.js';
export type { ServerProcess } from './server-process.js';
export { connectRaw } from './raw-client.js';
export type { RawClient } from './raw-client.js';
export { waitUntil, sleep } from './wait.js';
export { FetchXMLHttpRequest } from './fetch-xhr.js';
