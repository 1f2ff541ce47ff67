import assert from "node:assert/strict";
import { test } from "node:test";

import { display, formatRustF64, formatRyu, JsonNumber, parseExact, parseFast } from "../src/json.js";

test("numbers are classified as serde_json classifies them", () => {
  const kinds = (text: string) => (parseExact(text) as JsonNumber).kind;
  assert.equal(kinds("1"), "u64");
  assert.equal(kinds("18446744073709551615"), "u64");
  assert.equal(kinds("18446744073709551616"), "f64");
  assert.equal(kinds("-1"), "i64");
  assert.equal(kinds("-9223372036854775808"), "i64");
  assert.equal(kinds("-9223372036854775809"), "f64");
  assert.equal(kinds("-0"), "f64");
  assert.equal(kinds("1.0"), "f64");
  assert.equal(kinds("1e2"), "f64");
  assert.equal((parseExact("18446744073709551615") as JsonNumber).int, 18446744073709551615n);
});

test("what serde_json refuses is refused by both parsers", () => {
  const refused = ['"\\ud800"', '{"\\udc00": 1}', "1e400", "-1e400", `${"[".repeat(128)}${"]".repeat(128)}`, "\ufeff{}", "{} x", "[1,]"];
  for (const text of refused) {
    assert.throws(() => parseExact(text), text);
    assert.equal(parseFast(text), undefined, text);
  }
  const accepted = ['"\\ud83d\\ude00"', `${"[".repeat(127)}${"]".repeat(127)}`, "1e-400", '{"__proto__": 1}'];
  for (const text of accepted) {
    assert.doesNotThrow(() => parseExact(text), text);
    assert.notEqual(parseFast(text), undefined, text);
  }
});

test("the two parsers accept exactly the same texts (random inputs)", () => {
  const atoms = ["{", "}", "[", "]", ",", ":", '"a"', '"\\ud800"', "1", "-0", "1e999", "true", "null", " ", "\\", '"', "0x1"];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let text = "";
    for (let j = rand(8) + 1; j > 0; j--) text += atoms[rand(atoms.length)] ?? "";
    let exact = true;
    try {
      parseExact(text);
    } catch {
      exact = false;
    }
    assert.equal(parseFast(text) !== undefined, exact, text);
  }
});

test("values print as serde_json and Rust print them", () => {
  assert.equal(formatRyu(1), "1.0");
  assert.equal(formatRyu(1.5), "1.5");
  assert.equal(formatRyu(1e15), "1000000000000000.0");
  assert.equal(formatRyu(1e16), "1e+16");
  assert.equal(formatRyu(123456789012345680), "1.2345678901234568e+17");
  assert.equal(formatRyu(1e300), "1e+300");
  assert.equal(formatRyu(1.5e-7), "1.5e-7");
  assert.equal(formatRyu(1e-5), "0.00001");
  assert.equal(formatRyu(1e-6), "1e-6");
  assert.equal(formatRyu(1e-7), "1e-7");
  assert.equal(formatRyu(0.001), "0.001");
  assert.equal(formatRyu(-0), "-0.0");
  assert.equal(formatRustF64(1795000600), "1795000600");
  assert.equal(formatRustF64(1e21), "1000000000000000000000");
  assert.equal(formatRustF64(0.5), "0.5");
  assert.equal(display(parseExact('{"b": [1.0, -0, "x\\n"], "a": null}')), '{"a":null,"b":[1.0,-0.0,"x\\n"]}');
});
