// The cluster suites' deployment: a Redis and a PostgreSQL database of the test file's own and, when
// asked, server nodes on them (bench/support/cluster.ts) with a proxy in front, started before the
// file's tests and stopped after them (with what the harness started).
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase, startCluster, startHaproxy, startNginx, startRedis, type Cluster, type Database, type FrontProxy, type OwnRedis } from '../../bench/support/cluster.js';
import { cleanup, tempDir } from './harness.js';

export interface Deployment {
  dir: string;
  redis: OwnRedis;
  database: Database;
  /** Set when nodes were asked for. */
  cluster: Cluster;
  /** Set when a proxy was asked for. */
  proxy: FrontProxy;
}

export interface DeploymentOptions {
  /** Names its temporary folder. */
  name: string;
  nodes?: number;
  proxy?: 'nginx' | 'haproxy';
  /** The nodes' environment beside what they are given. */
  env?: Record<string, string>;
}

/** Fields are set once the file's beforeAll has run. */
export function useDeployment(options: DeploymentOptions): Deployment {
  const d = {} as Deployment;
  beforeAll(async () => {
    d.dir = tempDir(`parley-${options.name}-`);
    d.redis = await startRedis(join(d.dir, 'redis'));
    d.database = await createDatabase();
    if (!options.nodes) return;
    d.cluster = await startCluster({ dir: d.dir, nodes: options.nodes, redisUrl: d.redis.url, databaseUrl: d.database.url, env: options.env });
    if (!options.proxy) return;
    const start = options.proxy === 'nginx' ? startNginx : startHaproxy;
    d.proxy = await start(join(d.dir, options.proxy), d.cluster.nodes.map((node) => node.port));
  });
  afterAll(async () => {
    await cleanup();
    await d.proxy?.stop();
    await d.cluster?.stop();
    await d.redis?.stop();
    await d.database?.drop();
  });
  return d;
}
