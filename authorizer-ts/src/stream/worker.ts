// The Kafka client on a worker thread of its own (dist/kafka-worker.mjs): importing it
// compiles its JSON-Schema validators, seconds of CPU on a busy machine, which on the main
// thread would hold up the first decisions. The main thread asks, this thread reads Kafka.

import { parentPort, workerData } from "node:worker_threads";

import type { StreamConfig } from "../config.js";
import { TopicReader } from "./kafka.js";
import type { ReaderRequest, ReaderResponse } from "./worker-reader.js";

const port = parentPort;
if (port === null) throw new Error("kafka-worker runs as a worker thread only");
const cfg = workerData as StreamConfig;
let reader: Promise<TopicReader> | undefined;

port.on("message", (m: ReaderRequest) => {
  void (async (): Promise<ReaderResponse> => {
    try {
      reader ??= TopicReader.connect(cfg);
      const r = await reader;
      switch (m.op) {
        case "partitions":
          return { id: m.id, partitions: await r.partitions() };
        case "fetch":
          return { id: m.id, fetched: await r.fetch(m.offsets, m.maxWaitMs) };
        case "close":
          await r.close();
          return { id: m.id };
      }
    } catch (e) {
      // A failed connect is retried on the next request.
      if (m.op === "partitions") reader = undefined;
      return { id: m.id, error: e instanceof Error ? e.message : String(e) };
    }
  })().then((response) => {
    port.postMessage(response);
  });
});
