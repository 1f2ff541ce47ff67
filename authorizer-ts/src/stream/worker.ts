// The Kafka client on a worker thread of its own (dist/kafka-worker.mjs): importing it
// compiles its JSON-Schema validators, seconds of CPU on a busy machine, which on the main
// thread would hold up the first decisions. The main thread asks, this thread reads the
// policy topic and, with AUTHZ_STATUS_TOPIC set, writes status reports (one import for both).

import { parentPort, workerData } from "node:worker_threads";

import type { StreamConfig } from "../config.js";
import { StatusProducer, TopicReader } from "./kafka.js";
import type { ReaderRequest, ReaderResponse } from "./worker-reader.js";

const port = parentPort;
if (port === null) throw new Error("kafka-worker runs as a worker thread only");
const cfg = workerData as StreamConfig;
let reader: Promise<TopicReader> | undefined;
let producer: Promise<StatusProducer> | undefined;

async function answer(m: ReaderRequest): Promise<ReaderResponse> {
  switch (m.op) {
    case "partitions":
      reader ??= TopicReader.connect(cfg);
      try {
        return { id: m.id, partitions: await (await reader).partitions() };
      } catch (e) {
        // A failed connect is retried on the next request.
        reader = undefined;
        throw e;
      }
    case "fetch":
      reader ??= TopicReader.connect(cfg);
      return { id: m.id, fetched: await (await reader).fetch(m.offsets, m.maxWaitMs) };
    case "report":
      // Created on the first report; a failed creation is retried on the next one.
      producer ??= StatusProducer.connect(cfg).catch((e: unknown) => {
        producer = undefined;
        throw e;
      });
      await (await producer).send(m.topic, m.key, m.value);
      return { id: m.id };
    case "close":
      await Promise.all([reader?.then((r) => r.close()), producer?.then((p) => p.close())]);
      return { id: m.id };
  }
}

port.on("message", (m: ReaderRequest) => {
  answer(m).then(
    (response) => {
      port.postMessage(response);
    },
    (e: unknown) => {
      port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies ReaderResponse);
    },
  );
});
