// `npm start`: build if needed, then run the server in this same process, so the signal npm's
// process group receives reaches the server's graceful shutdown directly.
require('./build-if-needed')();
require('../dist/server.js')
  .main()
  .catch((err) => {
    process.stderr.write(`chatx: ${err.message}\n`);
    process.exit(1);
  });
