/**
 * CRC-32C (Castagnoli), the checksum used by the zpm journal to detect torn or
 * damaged lines.
 *
 * Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF, as in
 * iSCSI, ext4, LevelDB and etcd. The check value of ASCII "123456789" is
 * 0xE3069283.
 *
 * @module
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries for slicing-by-8; table 0 is the classic byte table. */
const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let i = 1; i < 8; i++) {
    const prev = tables[i - 1];
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    tables.push(t);
  }
  return tables;
}

/**
 * CRC-32C of `data`. Pass a previous result as `seed` to continue a checksum
 * over concatenated buffers: `crc32c(b, crc32c(a))` equals `crc32c(a + b)`.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~seed >>> 0;
  let i = 0;
  const n = data.length;
  const fast = n - (n % 8);
  while (i < fast) {
    const lo = (crc ^
      (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) |
        (data[i + 3] << 24))) >>> 0;
    crc = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^ t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^
      t0[data[i + 7]];
    i += 8;
  }
  while (i < n) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
