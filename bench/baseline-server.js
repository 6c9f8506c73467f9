// The benchmark's baseline: a bare Node http server that stores each POSTed body with a plain
// better-sqlite3 insert (no encryption, no signature check, no parsing beyond JSON.parse).
const http = require('node:http');
const path = require('node:path');
const Database = require('better-sqlite3');

const db = new Database(path.join(process.env.DATA_DIR, 'baseline.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, mid TEXT UNIQUE, body TEXT)');
const insert = db.prepare('INSERT OR IGNORE INTO events (mid, body) VALUES (?, ?)');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(text);
    insert.run(body.entry[0].messaging[0].message.mid, text);
    res.writeHead(200);
    res.end('EVENT_RECEIVED');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
