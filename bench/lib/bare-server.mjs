// The baseline: a bare node:http server that reads each request's body and answers with the JSON the
// Keyledger server gave for the same request (captured once, per path). It is what Node alone costs
// for the exchange, so the ratio to it is what Keyledger adds.
//
//   node bench/lib/bare-server.mjs '{"/api-keys/verify": "<json body>", ...}'   prints `listening PORT`
import { createServer } from 'node:http';

const answers = new Map(
  Object.entries(JSON.parse(process.argv[2])).map(([path, body]) => [path, Buffer.from(body)]),
);

const server = createServer((req, res) => {
  const answer = answers.get(req.url ?? '/');
  req.on('data', () => {});
  req.on('end', () => {
    if (!answer) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': answer.length,
    });
    res.end(answer);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
