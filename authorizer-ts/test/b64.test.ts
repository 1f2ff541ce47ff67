import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import { decodeB64url, encodeB64url } from "../src/b64.js";

test("canonical unpadded base64url round-trips", () => {
  for (let n = 0; n < 70; n++) {
    const bytes = randomBytes(n);
    assert.deepEqual(decodeB64url(encodeB64url(bytes)), bytes);
  }
});

test("non-canonical text is refused, as the Rust build refuses it", () => {
  for (const text of ["QQ==", "QR", "QUF", "QUJ", "A", "AAAAA", "a+b/", "a.b", "QUI="]) {
    assert.equal(decodeB64url(text), undefined, text);
  }
  // Every other last character of a 2- or 3-character tail sets spare bits.
  for (let n = 1; n < 4; n++) {
    const text = encodeB64url(randomBytes(n));
    if (text.length % 4 === 0) continue;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let accepted = 0;
    for (const c of alphabet) if (decodeB64url(text.slice(0, -1) + c) !== undefined) accepted++;
    assert.equal(accepted, text.length % 4 === 2 ? 4 : 16, text);
  }
});
