// Rust's string helpers where JavaScript's differ (ASCII-only case folding and whitespace).

export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** `str::eq_ignore_ascii_case`. */
export function eqIgnoreAsciiCase(a: string, b: string): boolean {
  return a.length === b.length && asciiLower(a) === asciiLower(b);
}

const WS = "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** `str::trim`: Unicode White_Space, which is not JavaScript's set (no U+FEFF, with U+0085). */
export function rustTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && WS.includes(s.charAt(start))) start++;
  while (end > start && WS.includes(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}

/** `str::split_ascii_whitespace`: space, tab, LF, FF, CR (not VT). */
export function splitAsciiWhitespace(s: string): string[] {
  return s.split(/[ \t\n\f\r]+/).filter((p) => p !== "");
}

/** UTF-8 length in bytes (Rust's `str::len`). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
