// Strict base64url without padding, as the Rust build decodes (RFC 7515 §2; the `base64`
// crate's URL_SAFE_NO_PAD): any other character, a '=' or a length of 4n+1 is refused, and
// so are non-zero bits after the last byte. Buffer.from(.., "base64url") skips such input
// silently, so it is only used once the text is known to be canonical.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** Whether every character is of the base64url alphabet (the empty text is). */
export function isB64url(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || (VALUE[c] ?? -1) < 0) return false;
  }
  return true;
}

/** Decodes canonical unpadded base64url; `undefined` for anything else. */
export function decodeB64url(text: string): Buffer | undefined {
  if (!isB64url(text)) return undefined;
  const rem = text.length % 4;
  if (rem === 1) return undefined;
  if (rem !== 0) {
    const last = VALUE[text.charCodeAt(text.length - 1)] ?? 0;
    // 2 characters carry 1 byte (4 spare bits), 3 carry 2 bytes (2 spare bits).
    const spare = rem === 2 ? 0x0f : 0x03;
    if ((last & spare) !== 0) return undefined;
  }
  return Buffer.from(text, "base64url");
}

export function encodeB64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64url");
}
