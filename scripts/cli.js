// `npm run cli -- <command>`: build if needed, then run the admin CLI.
require('./build-if-needed')();
require('../dist/cli.js').runCli(process.argv.slice(2));
