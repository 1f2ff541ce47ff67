// The real broker the Kafka tests use (scripts/kafka.sh; KAFKA_BOOTSTRAP). Without it the
// Kafka tests are skipped and say so; scripts/ts-test.sh starts one and always sets it.

import { randomBytes } from "node:crypto";

import { Admin, Producer } from "@platformatic/kafka";

export const KAFKA_BOOTSTRAP = process.env.KAFKA_BOOTSTRAP;
export const skipKafka: string | false = KAFKA_BOOTSTRAP === undefined ? "KAFKA_BOOTSTRAP is not set (scripts/ts-test.sh sets it)" : false;

function brokers(): string[] {
  if (KAFKA_BOOTSTRAP === undefined) throw new Error("KAFKA_BOOTSTRAP is not set");
  return [KAFKA_BOOTSTRAP];
}

/** A new single-partition topic with a name of its own; compacted unless `compact` is false
 *  (a compacted topic refuses records without a key). */
export async function createTopic(prefix: string, compact = true): Promise<string> {
  const topic = `${prefix}-${randomBytes(4).toString("hex")}`;
  const admin = new Admin({ clientId: "authz-ts-test", bootstrapBrokers: brokers() });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1, configs: [{ name: "cleanup.policy", value: compact ? "compact" : "delete" }] });
  } finally {
    await admin.close();
  }
  return topic;
}

/** Appends records in order (a null value is a tombstone, a null key a keyless record). */
export async function produce(topic: string, records: readonly (readonly [Buffer | null, Buffer | null])[]): Promise<void> {
  const producer = new Producer<Buffer | null, Buffer | null, Buffer, Buffer>({ clientId: "authz-ts-test", bootstrapBrokers: brokers(), acks: -1 });
  try {
    // One at a time: each send is acknowledged before the next, so offsets follow the order.
    for (const [key, value] of records) {
      const message = { topic, partition: 0, key, value };
      await producer.send({ messages: [message] });
    }
  } finally {
    await producer.close();
  }
}
