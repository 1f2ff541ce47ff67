// What the policy loop needs from Kafka, without the client: kafka.ts reads on the thread
// it runs on, worker-reader.ts asks a worker thread that runs kafka.ts.

/** One record as the replica reads it. */
export interface KafkaRecordRead {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestampMs: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

/** What one fetch of a partition returned. */
export interface PartitionFetch {
  readonly records: KafkaRecordRead[];
  /** The offset to fetch next (past compaction gaps and control batches). */
  readonly next: bigint;
  readonly high: bigint;
}

/** Reads the policy topic partition by partition from offsets the caller keeps. */
export interface Reader {
  /** The topic's partitions (fresh metadata); an error when the topic does not exist. */
  partitions(): Promise<number[]>;
  /** Fetches the partitions from the given offsets, waiting at most `maxWaitMs` for data. */
  fetch(offsets: ReadonlyMap<number, bigint>, maxWaitMs: number): Promise<Map<number, PartitionFetch>>;
  close(): Promise<void>;
}
