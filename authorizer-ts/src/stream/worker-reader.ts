// The main thread's side of dist/kafka-worker.mjs: the same reader interface as kafka.ts,
// each call a message to the worker and its answer (records arrive as structured clones),
// and the status reporter's sender (the worker's status producer).

import { Worker } from "node:worker_threads";

import type { StreamConfig } from "../config.js";
import type { StatusSender } from "../status/reporter.js";
import type { PartitionFetch, Reader } from "./kafka-types.js";

export type ReaderRequest =
  | { readonly id: number; readonly op: "partitions" }
  | { readonly id: number; readonly op: "fetch"; readonly offsets: ReadonlyMap<number, bigint>; readonly maxWaitMs: number }
  | { readonly id: number; readonly op: "report"; readonly topic: string; readonly key: string; readonly value: string }
  | { readonly id: number; readonly op: "close" };

export interface ReaderResponse {
  readonly id: number;
  readonly error?: string;
  readonly partitions?: number[];
  readonly fetched?: Map<number, PartitionFetch>;
}

type Pending = (r: ReaderResponse) => void;

export class WorkerReader implements Reader, StatusSender {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private dead: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (r: ReaderResponse) => {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
    });
    const fail = (why: string): void => {
      this.dead = why;
      for (const [id, p] of this.pending) p({ id, error: why });
      this.pending.clear();
    };
    worker.on("error", (e) => { fail(`Kafka worker failed: ${e.message}`); });
    worker.on("exit", (code) => { fail(`Kafka worker exited (${code})`); });
    // The worker never keeps a process alive on its own (tests, CLIs); Lambda does not care.
    worker.unref();
  }

  /** Starts the worker (`script` is dist/kafka-worker.mjs beside the handler). */
  static start(cfg: StreamConfig, script: URL): WorkerReader {
    return new WorkerReader(new Worker(script, { workerData: cfg }));
  }

  private ask(request: Omit<ReaderRequest, "id"> & { op: ReaderRequest["op"] }): Promise<ReaderResponse> {
    if (this.dead !== undefined) return Promise.reject(new Error(this.dead));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (r) => {
        if (r.error !== undefined) reject(new Error(r.error));
        else resolve(r);
      });
      this.worker.postMessage({ ...request, id });
    });
  }

  async partitions(): Promise<number[]> {
    return (await this.ask({ op: "partitions" })).partitions ?? [];
  }

  async fetch(offsets: ReadonlyMap<number, bigint>, maxWaitMs: number): Promise<Map<number, PartitionFetch>> {
    return (await this.ask({ op: "fetch", offsets, maxWaitMs } as ReaderRequest)).fetched ?? new Map();
  }

  /** One status record, sent by the worker's producer; resolves once acknowledged. */
  async send(topic: string, key: string, value: string): Promise<void> {
    await this.ask({ op: "report", topic, key, value } as ReaderRequest);
  }

  async close(): Promise<void> {
    await this.ask({ op: "close" }).catch(() => undefined);
    await this.worker.terminate();
  }
}
