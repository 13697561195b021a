import assert from "node:assert/strict";
import { encodeTransaction } from "../../src/persistence/journal_encode.ts";
import { crc32c } from "../../src/persistence/crc32c.ts";
import { type JournalRecord, scanJournal, type Transaction } from "../../src/persistence/journal_format.ts";
import { buildJournal, dec, enc, plain, sampleTransactions } from "./helpers.ts";

function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const bufs = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function line(seq: number, records: JournalRecord[], ts = 1_764_000_000) {
  return encodeTransaction({ seq, ts, records });
}

const NASTY = [
  `say('it''s "quoted"')`,
  `path('C:\\\\dir\\\\file', "back\\\\slash\\"")`,
  "multi(\nline,\r\nclause)",
  "ctl(" +
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join("") +
  "\u007f)",
  "seps(\u2028\u2029)",
  "emoji('🦕🧠👩‍👩‍👧', '日本語', 'é', 'e\u0301')",
  "lone('\ud800', '\udfff')",
  `json('{"seq":1,"crc":"00000000"}')`,
  "",
];

Deno.test('encodeTransaction: exact layout, key order and CRC over the text before ,"crc":', () => {
  const text = line(7, [{ op: "assert", clause: "p(1)" }], 1714000000);
  assert.match(
    text,
    /^\{"seq":7,"ts":1714000000,"records":\[\{"op":"assert","clause":"p\(1\)"\}\],"crc":"[0-9a-f]{8}"\}\n$/,
  );
  const prefix = text.slice(0, text.indexOf(`,"crc":`));
  const crc = crc32c(enc.encode(prefix)).toString(16).padStart(8, "0");
  assert.equal(text.slice(prefix.length), `,"crc":"${crc}"}\n`);
});

Deno.test("encodeTransaction: rejects input the reader would reject", () => {
  const ok: JournalRecord[] = [{ op: "assert", clause: "p" }];
  assert.throws(
    () => encodeTransaction({ seq: 0, ts: 1, records: ok }),
    TypeError,
  );
  assert.throws(
    () => encodeTransaction({ seq: 1.5, ts: 1, records: ok }),
    TypeError,
  );
  assert.throws(
    () => encodeTransaction({ seq: 1, ts: NaN, records: ok }),
    TypeError,
  );
  assert.throws(
    () => encodeTransaction({ seq: 1, ts: 1, records: [] }),
    TypeError,
  );
  assert.throws(
    () =>
      encodeTransaction({
        seq: 1,
        ts: 1,
        records: [{ op: "frob" as "assert", clause: "p" }],
      }),
    /unknown op 'frob'/,
  );
  assert.throws(
    () =>
      encodeTransaction({
        seq: 1,
        ts: 1,
        records: [{ op: "assert", clause: 5 as unknown as string }],
      }),
    TypeError,
  );
});

Deno.test("encode → scan round trip with nasty clause text and a 1 MB clause", () => {
  const big = "big('" + 'ab"\\\n🦕'.repeat(1_048_576 / 8) + "')";
  const txs: Transaction[] = [
    ...NASTY.map((clause, i) => ({
      seq: i + 1,
      ts: 1_764_000_000 + i,
      records: [{ op: "assert" as const, clause }],
    })),
    {
      seq: 100,
      ts: 1_764_000_100.5,
      records: NASTY.map((clause, i) => ({
        op: (["assert", "retract", "retractall"] as const)[i % 3],
        clause,
      })),
    },
    { seq: 101, ts: 1_764_000_101, records: [{ op: "assert", clause: big }] },
  ];
  const lines = txs.map((tx) => encodeTransaction({ seq: tx.seq!, ts: tx.ts, records: tx.records }));
  for (const l of lines) {
    assert.equal(
      l.indexOf("\n"),
      l.length - 1,
      "exactly one newline, at the end",
    );
  }
  const bytes = enc.encode(lines.join(""));
  const scan = scanJournal(bytes);
  assert.equal(scan.damage, null);
  assert.equal(scan.missingFinalNewline, false);
  assert.equal(scan.goodEnd, bytes.length);
  assert.deepEqual(plain(scan.transactions), txs);
  assert.ok(bytes.length > 1_048_576);
  // Offsets delimit each line exactly.
  scan.transactions.forEach((t, i) => {
    assert.equal(dec.decode(bytes.subarray(t.start, t.end)), lines[i]);
  });
});

Deno.test("scan: upstream lines, our lines and blank lines mixed; baseOffset shifts offsets", () => {
  const up1 = `{"ts":1714000000,"op":"assert","clause":"deployed(app, prod)"}\n`;
  const up2 = `{"ts":1714000050,"op":"retractall","clause":"tms_justification(_,baseline)"}\n`;
  const up3 = `{"ts":1714000060,"op":"retract","clause":"x(\\"q\\")"}\n`;
  const ours1 = line(1, [{ op: "assert", clause: "a" }, {
    op: "retract",
    clause: "b",
  }]);
  const ours2 = line(2, [{ op: "retractall", clause: "c(_)" }]);
  const parts = [
    up1,
    "\n",
    up2,
    "   \t\r\n",
    ours1,
    "\r\n",
    up3,
    ours2,
    "\n",
    "  ",
  ];
  const bytes = enc.encode(parts.join(""));
  const scan = scanJournal(bytes);
  assert.equal(scan.damage, null);
  assert.equal(
    scan.missingFinalNewline,
    true,
    "ends in blank text without newline",
  );
  assert.equal(scan.goodEnd, bytes.length);
  assert.deepEqual(plain(scan.transactions), [
    {
      seq: null,
      ts: 1714000000,
      records: [{ op: "assert", clause: "deployed(app, prod)" }],
    },
    {
      seq: null,
      ts: 1714000050,
      records: [{ op: "retractall", clause: "tms_justification(_,baseline)" }],
    },
    {
      seq: 1,
      ts: 1_764_000_000,
      records: [{ op: "assert", clause: "a" }, { op: "retract", clause: "b" }],
    },
    {
      seq: null,
      ts: 1714000060,
      records: [{ op: "retract", clause: 'x("q")' }],
    },
    {
      seq: 2,
      ts: 1_764_000_000,
      records: [{ op: "retractall", clause: "c(_)" }],
    },
  ]);
  const texts = scan.transactions.map((t) => dec.decode(bytes.subarray(t.start, t.end)));
  assert.deepEqual(texts, [up1, up2, ours1, up3, ours2]);

  // Scanning from a line boundary with baseOffset yields the same tail, same offsets.
  const k = scan.transactions[2].start;
  const tail = scanJournal(bytes.subarray(k), k);
  assert.deepEqual(tail.transactions, scan.transactions.slice(2));
  assert.equal(tail.goodEnd, bytes.length);
});

Deno.test("scan: empty and blank-only buffers", () => {
  assert.deepEqual(scanJournal(new Uint8Array(0)), {
    transactions: [],
    goodEnd: 0,
    damage: null,
    missingFinalNewline: false,
  });
  const r = scanJournal(enc.encode("\n\n  \n"), 10);
  assert.equal(r.damage, null);
  assert.equal(r.goodEnd, 15);
  assert.equal(r.transactions.length, 0);
});

Deno.test("scan: final complete line without newline counts and is flagged", () => {
  const a = line(1, [{ op: "assert", clause: "a" }]);
  const b = line(2, [{ op: "assert", clause: "b" }]).slice(0, -1);
  const bytes = enc.encode(a + b);
  const r = scanJournal(bytes);
  assert.equal(r.damage, null);
  assert.equal(r.missingFinalNewline, true);
  assert.equal(r.transactions.length, 2);
  assert.equal(r.transactions[1].end, bytes.length);
  assert.equal(r.goodEnd, bytes.length);
});

Deno.test("scan: damage reasons, offsets, and torn-tail vs corrupt", () => {
  const a = line(1, [{ op: "assert", clause: "a" }]);
  const b = line(2, [{ op: "assert", clause: "b" }]);
  const cases: [string | Uint8Array, string][] = [
    ["{not json}\n", "invalid JSON"],
    [`{"ts":1,"op":"frob","clause":"x"}\n`, "unknown op 'frob'"],
    [`{"ts":1,"op":"assert_many","clause":"x . "}\n`, "unknown op 'assert_many'"], // ours only, never upstream's
    [`{"ts":1.5,"op":"assert","clause":"x"}\n`, "ts is not an integer"],
    [`{"ts":1,"op":"assert","clause":3}\n`, "clause is not a string"],
    [`{"ts":1,"op":"assert","clause":"x","extra":1}\n`, "unrecognized record"],
    ["[1,2]\n", "not a JSON object"],
    [b.replace(`"b"`, `"B"`), "CRC mismatch"],
    [b.replace(/"crc":"([0-9a-f]{8})"/, `"crc":"$1 "`), "malformed crc field"],
    [b, "sequence went backwards"], // a duplicate of line 2 after line 2
    [Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a), "invalid UTF-8"],
  ];
  for (const [bad, reason] of cases) {
    const badBytes = typeof bad === "string" ? enc.encode(bad) : bad;
    const prefix = enc.encode(a + b);
    // Bad line last → torn tail.
    const torn = scanJournal(concat(prefix, badBytes));
    assert.ok(torn.damage, reason);
    assert.equal(torn.damage.kind, "torn-tail", reason);
    assert.equal(torn.damage.offset, prefix.length, reason);
    assert.equal(torn.damage.validAfter, 0, reason);
    assert.ok(
      torn.damage.reason.includes(reason),
      `${torn.damage.reason} ~ ${reason}`,
    );
    assert.equal(torn.goodEnd, prefix.length);
    assert.equal(torn.transactions.length, 2);
    assert.equal(torn.missingFinalNewline, false);
    // Followed by a valid line of ours → corrupt; with baseOffset.
    const later = line(9, [{ op: "assert", clause: "z" }]);
    const later2 = line(10, [{ op: "assert", clause: "zz" }]);
    const corrupt = scanJournal(
      concat(prefix, badBytes, "\n", later, later2),
      1000,
    );
    assert.equal(corrupt.damage?.kind, "corrupt", reason);
    assert.equal(corrupt.damage?.offset, 1000 + prefix.length);
    assert.equal(corrupt.damage?.validAfter, 2, reason);
    assert.equal(corrupt.goodEnd, 1000 + prefix.length);
    assert.equal(corrupt.transactions.length, 2);
  }
});

Deno.test("scan: validAfter counts every later valid transaction, ours and upstream lines", () => {
  const good = [1, 2, 3].map((i) => line(i, [{ op: "assert", clause: `g${i}` }]));
  const after = [10, 11, 12, 13].map((i) => line(i, [{ op: "assert", clause: `h${i}` }]));
  const up = `{"ts":1,"op":"assert","clause":"u"}\n`;
  const bytes = enc.encode(
    good.join("") + "garbage\n" + up + after.join("") + "junk\n" + up,
  );
  const r = scanJournal(bytes);
  assert.equal(r.damage?.kind, "corrupt");
  assert.equal(r.damage?.validAfter, 6);
  const onlyUpstreamAfter = scanJournal(
    enc.encode(good.join("") + "garbage\n" + up),
  );
  assert.equal(onlyUpstreamAfter.damage?.kind, "corrupt", "an upstream line after damage is kept too");
  assert.equal(onlyUpstreamAfter.damage?.validAfter, 1);
  assert.equal(scanJournal(enc.encode(good.join("") + "garbage\n")).damage?.kind, "torn-tail");
});

Deno.test("scan: a torn write glued to a later append is corruption, not a torn tail", () => {
  const a = line(1, [{ op: "assert", clause: "a" }]);
  const b = line(2, [{ op: "assert", clause: "b".repeat(50) }]);
  const c = line(3, [{ op: "assert", clause: "c" }]);
  const torn = b.slice(0, 30); // no newline: the next append was glued onto it
  const r = scanJournal(enc.encode(a + torn + c));
  assert.equal(r.damage?.kind, "corrupt");
  assert.equal(r.damage?.offset, enc.encode(a).length);
  assert.equal(r.damage?.validAfter, 1);
  assert.equal(r.damage?.reason, "CRC mismatch");
});

Deno.test("scan: truncation at every byte offset keeps exactly the complete lines", () => {
  const txs = sampleTransactions(25);
  const { bytes, lines } = buildJournal(txs);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = scanJournal(bytes.subarray(0, cut));
    const complete = lines.filter((l) => l.nl <= cut).length;
    assert.deepEqual(
      plain(r.transactions),
      txs.slice(0, complete),
      `cut ${cut}`,
    );
    const lastEnd = complete === 0 ? 0 : lines[complete - 1].nl + 1;
    const atBoundary = cut === lastEnd ||
      (complete > 0 && cut === lines[complete - 1].nl);
    if (atBoundary) {
      assert.equal(r.damage, null, `cut ${cut}`);
      assert.equal(r.goodEnd, cut);
      assert.equal(r.missingFinalNewline, cut !== lastEnd, `cut ${cut}`);
    } else {
      assert.equal(r.damage?.kind, "torn-tail", `cut ${cut}`);
      assert.equal(r.damage?.offset, lastEnd);
      assert.equal(r.damage?.validAfter, 0);
      assert.equal(r.goodEnd, lastEnd);
      assert.equal(r.missingFinalNewline, false);
    }
  }
});

Deno.test("scan: a bit flip at every bit of every byte is detected at its own line", () => {
  const txs = sampleTransactions(25);
  const { bytes, lines } = buildJournal(txs);
  const original = plain(scanJournal(bytes).transactions);
  assert.deepEqual(original, txs);
  const copy = bytes.slice();
  let line = 0;
  for (let i = 0; i < bytes.length; i++) {
    while (lines[line].nl < i) line++;
    for (let bit = 0; bit < 8; bit++) {
      copy[i] = bytes[i] ^ (1 << bit);
      const r = scanJournal(copy);
      copy[i] = bytes[i];
      const where = `byte ${i} bit ${bit} (line ${line})`;
      if (r.damage === null) {
        // Only acceptable if the flip decodes to the identical transactions.
        assert.deepEqual(plain(r.transactions), original, where);
        continue;
      }
      assert.equal(r.damage.offset, lines[line].start, where);
      assert.deepEqual(plain(r.transactions), original.slice(0, line), where);
      if (line < lines.length - 1) {
        assert.equal(r.damage.kind, "corrupt", where);
        assert.ok(r.damage.validAfter >= 1, where);
      } else {
        assert.equal(r.damage.kind, "torn-tail", where);
      }
    }
  }
});

Deno.test("scan: etcd trio on the byte level", () => {
  const txs = sampleTransactions(25);
  const { bytes, lines } = buildJournal(txs);
  const last = lines[lines.length - 1];

  // 1. Zero from inside the last record to EOF (length unchanged).
  const z1 = bytes.slice();
  z1.fill(0, last.start + 10);
  const r1 = scanJournal(z1);
  assert.equal(r1.damage?.kind, "torn-tail");
  assert.equal(r1.damage?.offset, last.start);
  assert.deepEqual(plain(r1.transactions), txs.slice(0, 24));

  // 1b. Zero from the middle of record 20 to EOF (straddles several records).
  const z1b = bytes.slice();
  z1b.fill(0, lines[19].start + 7);
  const r1b = scanJournal(z1b);
  assert.equal(r1b.damage?.kind, "torn-tail");
  assert.deepEqual(plain(r1b.transactions), txs.slice(0, 19));

  // 2. Zero a 512-byte sector in the middle → corruption with later valid txs.
  const from = 1024;
  const z2 = bytes.slice();
  z2.fill(0, from, from + 512);
  const r2 = scanJournal(z2);
  const firstHit = lines.findIndex((l) => l.nl >= from);
  const firstAfter = lines.findIndex((l) => l.start >= from + 512);
  assert.ok(firstAfter > firstHit && firstAfter < lines.length);
  assert.equal(r2.damage?.kind, "corrupt");
  assert.equal(r2.damage?.offset, lines[firstHit].start);
  assert.equal(r2.damage?.validAfter, lines.length - firstAfter);
  assert.deepEqual(plain(r2.transactions), txs.slice(0, firstHit));

  // 3. Truncate by 4 bytes.
  const r3 = scanJournal(bytes.subarray(0, bytes.length - 4));
  assert.equal(r3.damage?.kind, "torn-tail");
  assert.equal(r3.goodEnd, last.start);
  assert.deepEqual(plain(r3.transactions), txs.slice(0, 24));
});

Deno.test("scan: a bulk load's assert_many record round-trips in a line of ours", () => {
  const text = `p(1) . zpm_source((p(1)), interactive) . q('a \\n "b"') . `;
  const l = line(1, [{ op: "assert_many", clause: text }, { op: "retract", clause: "p(0)" }]);
  const r = scanJournal(enc.encode(l));
  assert.equal(r.damage, null);
  assert.deepEqual(r.transactions[0].records, [{ op: "assert_many", clause: text }, {
    op: "retract",
    clause: "p(0)",
  }]);
});
