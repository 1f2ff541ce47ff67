// Which imported public keys can verify at all. The Rust build verifies with aws-lc, which
// refuses, at verification time, RSA keys with a leading zero byte in `n` or `e` (and those
// keys.ts already refuses at load: outside 2048..8192 bits, an even modulus, an exponent
// that is even, 1, or too large); such a key then fails every signature (`bad_signature`)
// even though the policy loaded. OpenSSL (node:crypto) would verify with them, so the same
// refusals are made here, once, when the key is imported. Checks that reject a policy
// belong in keys.ts.

export const RSA_MIN_VERIFY_BITS = 2048;
export const RSA_MAX_VERIFY_BITS = 8192;
const RSA_MAX_EXPONENT_BITS = 33;

function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const first = bytes[i];
  if (first === undefined) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(first));
}

/** Whether aws-lc would verify signatures with the RSA key (n, e). */
export function rsaKeyVerifies(n: Uint8Array, e: Uint8Array): boolean {
  if (n[0] === undefined || n[0] === 0 || e[0] === undefined || e[0] === 0) return false;
  const bits = bitLength(n);
  if (bits < RSA_MIN_VERIFY_BITS || bits > RSA_MAX_VERIFY_BITS) return false;
  if (((n[n.length - 1] ?? 0) & 1) === 0) return false;
  const eBits = bitLength(e);
  if (((e[e.length - 1] ?? 0) & 1) === 0 || eBits < 2 || eBits > RSA_MAX_EXPONENT_BITS) return false;
  return true;
}
