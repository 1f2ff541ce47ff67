// Kafka I/O for the policy stream with @platformatic/kafka (pure TypeScript): brokers (given,
// or discovered from an MSK cluster ARN), authentication (plaintext, SASL/PLAIN, MSK IAM
// through SASL/OAUTHBEARER) and a reader that fetches every partition from an offset of our
// own, as librdkafka's assign() does in the Rust build: no consumer group is joined and no
// offset is committed (authorizer/src/stream/kafka.rs, consumer.rs).

import { randomBytes } from "node:crypto";

import { Consumer, Producer, ProduceAcks, type ClusterMetadata } from "@platformatic/kafka";

import type { StreamConfig } from "../config.js";
import type { KafkaRecordRead, PartitionFetch, Reader } from "./kafka-types.js";

export type { KafkaRecordRead, PartitionFetch, Reader };

/** The region of an ARN (`arn:aws:kafka:REGION:ACCOUNT:cluster/...`). */
export function arnRegion(arn: string): string | undefined {
  const r = arn.split(":")[3];
  return r === undefined || r === "" ? undefined : r;
}

/** Brokers from configuration, or from `GetBootstrapBrokers` on the cluster ARN (the AWS
 *  SDK of the Lambda runtime; not bundled). */
export async function resolveBrokers(cfg: StreamConfig): Promise<string> {
  if (cfg.brokers !== undefined) return cfg.brokers;
  const arn = cfg.mskClusterArn;
  if (arn === undefined) throw new Error("neither AUTHZ_KAFKA_BROKERS nor AUTHZ_MSK_CLUSTER_ARN is set");
  const region = arnRegion(arn);
  if (region === undefined) throw new Error(`AUTHZ_MSK_CLUSTER_ARN ${JSON.stringify(arn)} is not an MSK cluster ARN`);
  // A name the bundler leaves alone: the Lambda runtime provides the AWS SDK v3.
  const sdkName = "@aws-sdk/client-kafka";
  const sdk = (await import(sdkName)) as KafkaSdk;
  const out = await new sdk.KafkaClient({ region }).send(new sdk.GetBootstrapBrokersCommand({ ClusterArn: arn }));
  const brokers = cfg.auth === "msk-iam" ? out.BootstrapBrokerStringSaslIam ?? out.BootstrapBrokerStringVpcConnectivitySaslIam : cfg.auth === "sasl-plain" ? out.BootstrapBrokerStringSaslScram : out.BootstrapBrokerString;
  if (brokers === undefined) throw new Error(`cluster ${arn} has no brokers for ${cfg.auth}; pass AUTHZ_KAFKA_BROKERS`);
  return brokers;
}

/** The part of @aws-sdk/client-kafka used here. */
interface KafkaSdk {
  KafkaClient: new (o: { region: string }) => { send(command: unknown): Promise<BootstrapBrokers> };
  GetBootstrapBrokersCommand: new (input: { ClusterArn: string }) => unknown;
}
interface BootstrapBrokers {
  BootstrapBrokerString?: string;
  BootstrapBrokerStringSaslIam?: string;
  BootstrapBrokerStringVpcConnectivitySaslIam?: string;
  BootstrapBrokerStringSaslScram?: string;
}

type BufferConsumer = Consumer;
type ConsumerOptions = ConstructorParameters<typeof Consumer<Buffer, Buffer, Buffer, Buffer>>[0];
type ProducerOptions = ConstructorParameters<typeof Producer<Buffer, Buffer, Buffer, Buffer>>[0];
type FetchResponse = Awaited<ReturnType<BufferConsumer["fetch"]>>;

/** Authentication options for `cfg.auth`; an error names the variable to set. */
async function authOptions(cfg: StreamConfig): Promise<Partial<ConsumerOptions & ProducerOptions>> {
  switch (cfg.auth) {
    case "plaintext":
      return {};
    case "sasl-plain":
      if (cfg.username === undefined || cfg.password === undefined) throw new Error("AUTHZ_KAFKA_AUTH=sasl-plain needs AUTHZ_KAFKA_USERNAME and AUTHZ_KAFKA_PASSWORD");
      return { tls: {}, sasl: { mechanism: "PLAIN", username: cfg.username, password: cfg.password } };
    case "msk-iam": {
      const region = (cfg.mskClusterArn === undefined ? undefined : arnRegion(cfg.mskClusterArn)) ?? process.env.AWS_REGION;
      if (region === undefined) throw new Error("msk-iam needs a region: set AUTHZ_MSK_CLUSTER_ARN or AWS_REGION");
      const signer = await import("aws-msk-iam-sasl-signer-js");
      // Called on every (re)authentication: a fresh presigned kafka-cluster:Connect token.
      const token = async (): Promise<string> => (await signer.generateAuthToken({ region })).token;
      return { tls: {}, sasl: { mechanism: "OAUTHBEARER", token } };
    }
  }
}

/** Reads the policy topic partition by partition from offsets the caller keeps. */
/** How long a request (a check of the watermarks among them) may take: the staleness bound,
 *  and never less than 2 s. A check longer than the bound cannot confirm a view fresh (it
 *  vouches for its start); a shorter timeout would cut a slow broker off altogether. The
 *  same as the Rust build's `check_timeout`. */
export function checkTimeoutMs(maxStalenessMs: bigint): number {
  // Node's timers take at most 2^31 - 1 ms (a larger delay fires at once).
  return Math.min(Math.max(2000, Number(maxStalenessMs)), 2 ** 31 - 1);
}

export class TopicReader implements Reader {
  private topicId: string | undefined;

  private constructor(
    private readonly consumer: BufferConsumer,
    readonly topic: string,
  ) {}

  static async connect(cfg: StreamConfig): Promise<TopicReader> {
    const brokers = await resolveBrokers(cfg);
    // A group id is required by the client; no group is ever joined (IAM scopes the prefix).
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: "gateway-authorizer",
      groupId: `${cfg.groupPrefix}-${randomBytes(4).toString("hex")}`,
      bootstrapBrokers: brokers.split(",").map((b) => b.trim()).filter((b) => b !== ""),
      connectTimeout: 5000,
      requestTimeout: checkTimeoutMs(cfg.maxStalenessMs),
      retries: 0,
      metadataMaxAge: 300_000,
      ...(await authOptions(cfg)),
    });
    return new TopicReader(consumer, cfg.topic);
  }

  /** The topic's partitions (fresh metadata); an error when the topic does not exist. */
  async partitions(): Promise<number[]> {
    const md: ClusterMetadata = await this.consumer.metadata({ topics: [this.topic], forceUpdate: true, autocreateTopics: false });
    const t = md.topics.get(this.topic);
    if (t === undefined || t.partitionsCount === 0) throw new Error(`topic ${this.topic} has no partitions (does it exist?)`);
    this.topicId = t.id;
    return t.partitions.map((_, i) => i);
  }

  /** Fetches the partitions from the given offsets, waiting at most `maxWaitMs` for data. */
  async fetch(offsets: ReadonlyMap<number, bigint>, maxWaitMs: number): Promise<Map<number, PartitionFetch>> {
    const md = await this.consumer.metadata({ topics: [this.topic] });
    const t = md.topics.get(this.topic);
    if (t === undefined || this.topicId === undefined) throw new Error(`topic ${this.topic} is not in the metadata`);
    // One request per partition leader.
    const byLeader = new Map<number, number[]>();
    for (const p of offsets.keys()) {
      const leader = t.partitions[p]?.leader ?? -1;
      if (leader < 0) throw new Error(`partition ${p} of ${this.topic} has no leader`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out = new Map<number, PartitionFetch>();
    await Promise.all(
      [...byLeader].map(async ([node, parts]) => {
        const partitions = parts.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: offsets.get(partition) ?? 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }));
        const response: FetchResponse = await this.consumer.fetch({ node, topics: [{ topicId: this.topicId ?? "", partitions }], maxWaitTime: maxWaitMs, minBytes: 1, maxBytes: 8 << 20 });
        for (const topic of response.responses) {
          for (const p of topic.partitions) out.set(p.partitionIndex, partitionFetch(p, offsets.get(p.partitionIndex) ?? 0n));
        }
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await this.consumer.close(true);
  }
}

/** How many status reports may wait for their acknowledgement; one more is dropped (a newer
 *  report supersedes them anyway). librdkafka's queue.buffering.max.messages in the Rust build. */
export const MAX_UNACKNOWLEDGED_REPORTS = 16;

/** The status reporter's producer (docs/fleet.md): a client of its own, writing the status
 *  topic only, created on the first report. */
export class StatusProducer {
  private waiting = 0;

  private constructor(private readonly producer: Producer) {}

  static async connect(cfg: StreamConfig): Promise<StatusProducer> {
    const brokers = await resolveBrokers(cfg);
    return new StatusProducer(new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: "gateway-authorizer-status",
      bootstrapBrokers: brokers.split(",").map((b) => b.trim()).filter((b) => b !== ""),
      // The Rust build's librdkafka defaults: every in-sync replica acknowledges, no
      // idempotence (which would need one more permission on MSK).
      acks: ProduceAcks.ALL,
      idempotent: false,
      autocreateTopics: false,
      connectTimeout: 5000,
      timeout: 5000,
      ...(await authOptions(cfg)),
    }));
  }

  /** Sends one record; resolves once acknowledged. Refused at once when too many wait. */
  async send(topic: string, key: string, value: string): Promise<void> {
    if (this.waiting >= MAX_UNACKNOWLEDGED_REPORTS) throw new Error(`${MAX_UNACKNOWLEDGED_REPORTS} status reports already wait for their acknowledgement`);
    this.waiting += 1;
    try {
      await this.producer.send({ messages: [{ topic, key: Buffer.from(key), value: Buffer.from(value) }] });
    } finally {
      this.waiting -= 1;
    }
  }

  async close(): Promise<void> {
    await this.producer.close(true);
  }
}

type FetchedPartition = FetchResponse["responses"][number]["partitions"][number];

/** Kafka's OFFSET_OUT_OF_RANGE: the offset was compacted or deleted away. */
const OFFSET_OUT_OF_RANGE = 1;

function partitionFetch(p: FetchedPartition, from: bigint): PartitionFetch {
  if (p.errorCode === OFFSET_OUT_OF_RANGE) return { records: [], next: p.logStartOffset > from ? p.logStartOffset : from, high: p.highWatermark };
  if (p.errorCode !== 0) throw new Error(`fetch of partition ${p.partitionIndex}: Kafka error code ${p.errorCode}`);
  const records: KafkaRecordRead[] = [];
  let next = from > p.logStartOffset ? from : p.logStartOffset;
  for (const batch of p.records ?? []) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    // Transaction markers carry no record of ours (attributes bit 5: control batch).
    const control = (batch.attributes & 0x20) !== 0;
    for (const r of control ? [] : batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < from) continue;
      records.push({ partition: p.partitionIndex, offset, timestampMs: batch.firstTimestamp + r.timestampDelta, key: r.key, value: r.value });
    }
    if (end > next) next = end;
  }
  return { records, next, high: p.highWatermark };
}
