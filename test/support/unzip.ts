// Reads a ZIP file the way an unzip tool does, for tests of the exports: the end of central directory
// record (ZIP64 too), the central directory, each entry's local header and its data (stored or
// deflated), with the CRC-32 checked against the directory. Independent of the writer (yazl).
// Format: PKWARE's APPNOTE.TXT, sections 4.3 (structure) and 4.5.3 (ZIP64 extra field).
import zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  data: Buffer;
  /** General purpose flags: 0x800 says the name is UTF-8, 0x8 that a data descriptor follows the data. */
  flags: number;
}

const U16 = (b: Buffer, at: number) => b.readUInt16LE(at);
const U32 = (b: Buffer, at: number) => b.readUInt32LE(at);
const U64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

export function unzip(zip: Buffer): Map<string, ZipEntry> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end of central directory record: not a ZIP, or cut off');
  let count = U16(zip, eocd + 10);
  let dirOffset = U32(zip, eocd + 16);
  if (dirOffset === 0xffffffff || count === 0xffff) {
    const locator = eocd - 20;
    if (U32(zip, locator) !== 0x07064b50) throw new Error('ZIP64 fields without a ZIP64 locator');
    const record = U64(zip, locator + 8);
    count = U64(zip, record + 32);
    dirOffset = U64(zip, record + 48);
  }
  const entries = new Map<string, ZipEntry>();
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (U32(zip, at) !== 0x02014b50) throw new Error(`bad central directory record ${i}`);
    const flags = U16(zip, at + 8);
    const method = U16(zip, at + 10);
    const crc = U32(zip, at + 16);
    let compressedSize = U32(zip, at + 20);
    let size = U32(zip, at + 24);
    const nameLength = U16(zip, at + 28);
    const extraLength = U16(zip, at + 30);
    const commentLength = U16(zip, at + 32);
    let localOffset = U32(zip, at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // ZIP64: the fields set to 0xffffffff are in the extra field with id 1, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra < extraEnd) {
      const id = U16(zip, extra);
      const length = U16(zip, extra + 2);
      if (id === 1) {
        let field = extra + 4;
        if (size === 0xffffffff) {
          size = U64(zip, field);
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = U64(zip, field);
          field += 8;
        }
        if (localOffset === 0xffffffff) localOffset = U64(zip, field);
      }
      extra += 4 + length;
    }
    at = extraEnd + commentLength;
    if (U32(zip, localOffset) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = localOffset + 30 + U16(zip, localOffset + 26) + U16(zip, localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    const data = method === 8 ? zlib.inflateRawSync(raw) : method === 0 ? Buffer.from(raw) : undefined;
    if (!data) throw new Error(`${name}: compression method ${method}`);
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes, the directory says ${size}`);
    if (zlib.crc32(data) >>> 0 !== crc) throw new Error(`${name}: CRC-32 mismatch`);
    if (entries.has(name)) throw new Error(`${name} twice in the ZIP`);
    entries.set(name, { name, method, data, flags });
  }
  return entries;
}

/** An entry's text; throws (naming what is there) when the ZIP lacks it. */
export function text(entries: Map<string, ZipEntry>, name: string): string {
  const entry = entries.get(name);
  if (!entry) throw new Error(`no ${name} in the ZIP; it holds ${[...entries.keys()].join(', ')}`);
  return entry.data.toString('utf8');
}
