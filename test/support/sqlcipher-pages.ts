// Reads a SQLCipher 4 file (and its write-ahead log) page by page with the passphrase, the way
// SQLCipher itself does, so a test can look at EVERY byte the file holds: live rows, free pages,
// the slack inside pages, and WAL frames not yet checkpointed. Default SQLCipher 4 settings only
// (docs/sqlcipher.md): 4096-byte pages, a 16-byte salt at the start of the file, PBKDF2-HMAC-SHA512
// with 256,000 iterations to a 32-byte AES-256 key, and per page 80 reserved bytes at the end (a
// 16-byte IV, then a 64-byte HMAC). https://www.zetetic.net/sqlcipher/design/
import crypto from 'node:crypto';
import fs from 'node:fs';

const PAGE = 4096;
const RESERVE = 80;
const IV = 16;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

function decryptPage(page: Buffer, key: Buffer, first: boolean): Buffer {
  const offset = first ? 16 : 0;
  const iv = page.subarray(PAGE - RESERVE, PAGE - RESERVE + IV);
  const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(page.subarray(offset, PAGE - RESERVE)), decipher.final()]);
}

/** Every page of the database file and every frame of its WAL, decrypted, concatenated. */
export function decryptedBytes(file: string, passphrase: string): { database: Buffer; wal: Buffer; walFrames: number } {
  const db = fs.readFileSync(file);
  const salt = db.subarray(0, 16);
  const key = crypto.pbkdf2Sync(passphrase, salt, 256000, 32, 'sha512');
  const pages: Buffer[] = [];
  for (let i = 0; i + PAGE <= db.length; i += PAGE) pages.push(decryptPage(db.subarray(i, i + PAGE), key, i === 0));
  const walFile = fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0);
  const frames: Buffer[] = [];
  for (let i = WAL_HEADER; i + FRAME_HEADER + PAGE <= walFile.length; i += FRAME_HEADER + PAGE) {
    const pageNumber = walFile.readUInt32BE(i);
    frames.push(decryptPage(walFile.subarray(i + FRAME_HEADER, i + FRAME_HEADER + PAGE), key, pageNumber === 1));
  }
  return { database: Buffer.concat(pages), wal: Buffer.concat(frames), walFrames: frames.length };
}
