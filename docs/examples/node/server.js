// Receives WedSync Webhooks deliveries and verifies them with the standardwebhooks
// package before trusting a byte of the body.
//
//   npm install standardwebhooks
//   WEBHOOK_SECRET=whsec_… PORT=8000 node server.js
"use strict";
const http = require("node:http");
const { Webhook } = require("standardwebhooks");

const wh = new Webhook(process.env.WEBHOOK_SECRET);

const server = http.createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      // Verify the raw body first: signature and timestamp (5 minutes either way).
      event = wh.verify(body, req.headers);
    } catch (err) {
      res.writeHead(400, { "content-type": "text/plain" }).end("invalid signature\n");
      return;
    }
    // webhook-id is the same on every retry: deduplicate on it before acting.
    console.log(`verified ${event.type} ${event.id} ${event.eventversion} ${req.headers["webhook-id"]}`);
    res.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 8000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
