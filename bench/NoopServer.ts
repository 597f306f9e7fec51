import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor of `POST /calls`: a node:http server on loopback that reads the request body and answers 201 `{}`,
 * nothing else. Runs in the bench's process, as the product does.
 */
export class NoopServer {
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': 2 });
      res.end('{}');
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
