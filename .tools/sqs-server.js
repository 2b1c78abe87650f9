// Starts the local-aws-sqs emulator on 127.0.0.1 and prints {"port": N} once it listens.
// Exits when its standard input closes, so it never outlives the process that started it.
const { createSqsServer } = require("local-aws-sqs");

const port = Number(process.argv[2] || 0);
createSqsServer({ port, hostname: "127.0.0.1", emulateQueueCreationLifecycle: false })
  .then((server) => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
  })
  .catch((err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
    process.exit(1);
  });
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
