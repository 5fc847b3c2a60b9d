export { createServer } from './create-server.js';
export type { CreateServerOptions, ParleyServer } from './create-server.js';
export { loadConfig, defaultConfig, parseFlags, ConfigError, CONFIG_FLAGS } from './config/config.js';
export type { ServerConfig } from './config/config.js';
export { genUserSig, verifyUserSig } from './auth/usersig.js';
export type { UserSigClaims, UserSigResult } from './auth/usersig.js';
export type { AppIdentity } from './auth/app-identity.js';
export type { Procedure, Storage, StorageRepositories, StoredMessage } from './storage/storage.js';
export { c2cKey, defineProcedure } from './storage/storage.js';
/** The 1:1 send's storage procedure, for bench/'s `c2c-store` workload (the storage's own cost of a send). */
export { sendC2C } from './services/c2c-send.js';
export type { C2CSendArgs, C2CSendResult } from './services/c2c-send.js';
export { CHECKPOINT_WAL_BYTES, SqliteStorage } from './storage/sqlite/sqlite-storage.js';
export { STORAGE_THREAD_YOUNG_GENERATION_MB } from './storage/sqlite/sqlite-thread.js';
export type { Broker, UserDelivery, DeliveryHandler, RoomDelivery, RoomDeliveryHandler, Invalidation } from './cluster/broker.js';
export { LocalBroker } from './cluster/local-broker.js';
export { RedisBroker } from './cluster/redis-broker.js';
export type { RedisBrokerOptions } from './cluster/redis-broker.js';
export type { Clock } from './services/clock.js';
/** The gateway's frame builder (benchmarks build the same frames: bench/src/floor-server.ts). */
export { wsTextFrame } from './gateway/frame-writer.js';
