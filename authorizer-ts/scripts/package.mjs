// The Lambda zip of the bundled handler, byte for byte the same from the same bundle:
// entries in sorted order, every mtime 1980-01-01 00:00 (the first DOS date), mode 0644,
// deflated with the zlib Node ships, no extra fields. Writes dist/authorizer-ts-lambda.zip
// and prints its SHA-256. The runtime's handler setting is `handler.handler`.
//
//   npm run build && npm run package
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deflateRawSync } from "node:zlib";

const DIST = new URL("../dist/", import.meta.url).pathname;
const OUT = join(DIST, "authorizer-ts-lambda.zip");

/** Every file of the Lambda bundle: handler.mjs, kafka-worker.mjs and their chunks. */
function files() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(DIST, path));
    }
  };
  walk(join(DIST, "chunks"));
  out.push("handler.mjs", "kafka-worker.mjs");
  // Byte order of the UTF-8 names, not the locale's.
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const MODE = 0o100644; // regular file, rw-r--r--

const locals = [];
const centrals = [];
let offset = 0;
for (const name of files()) {
  const data = readFileSync(join(DIST, name));
  const packed = deflateRawSync(data, { level: 9 });
  const nameBytes = Buffer.from(name);
  const crc = crc32(data);
  const head = Buffer.alloc(30);
  head.writeUInt32LE(0x04034b50, 0);
  head.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  head.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
  head.writeUInt16LE(8, 8); // deflate
  head.writeUInt16LE(DOS_TIME, 10);
  head.writeUInt16LE(DOS_DATE, 12);
  head.writeUInt32LE(crc, 14);
  head.writeUInt32LE(packed.length, 18);
  head.writeUInt32LE(data.length, 22);
  head.writeUInt16LE(nameBytes.length, 26);
  head.writeUInt16LE(0, 28);
  locals.push(head, nameBytes, packed);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt16LE(0, 30); // extra
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE((MODE << 16) >>> 0, 38);
  central.writeUInt32LE(offset, 42);
  centrals.push(central, nameBytes);
  offset += head.length + nameBytes.length + packed.length;
}
const centralSize = centrals.reduce((n, b) => n + b.length, 0);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(centrals.length / 2, 8);
end.writeUInt16LE(centrals.length / 2, 10);
end.writeUInt32LE(centralSize, 12);
end.writeUInt32LE(offset, 16);
const zip = Buffer.concat([...locals, ...centrals, end]);
writeFileSync(OUT, zip);
console.log(`${createHash("sha256").update(zip).digest("hex")}  ${relative(process.cwd(), OUT)} (${zip.length} bytes, ${centrals.length / 2} files)`);
