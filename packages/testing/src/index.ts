export { FaultProxy } from './fault-proxy.js';
export type { FaultProxyOptions, FaultProxyStats, FaultProxyTarget } from './fault-proxy.js';
