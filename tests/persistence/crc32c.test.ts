import assert from "node:assert/strict";
import { crc32c } from "../../src/persistence/crc32c.ts";
import { enc } from "./helpers.ts";

/** Bit-at-a-time reference, independent of the table code. */
function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c: standard check value and RFC 3720 vectors", () => {
  assert.equal(crc32c(enc.encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(
    crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)),
    0x46dd794e,
  );
  assert.equal(
    crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)),
    0x113fdb5c,
  );
});

Deno.test("crc32c: matches a bitwise reference at every length 0..300 and is unsigned", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff);
  for (let len = 0; len <= 300; len++) {
    const s = data.subarray(len % 5, len % 5 + Math.min(len, 295));
    const got = crc32c(s);
    assert.ok(got >= 0 && got <= 0xffffffff);
    assert.equal(got, reference(s), `length ${s.length}`);
  }
});

Deno.test("crc32c: seed continues a checksum over split buffers", () => {
  const data = enc.encode(
    "The quick brown fox jumps over the lazy dog, twice over.",
  );
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut++) {
    assert.equal(
      crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))),
      whole,
    );
  }
});
