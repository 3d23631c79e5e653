#!/usr/bin/env python3
"""Answers every HTTP GET with a name: the lab's stand-in for a Service behind kube-proxy.

    responder.py ADDRESS PORT NAME

Binds ADDRESS (IPv4 or IPv6) only, answers `NAME\\n` and closes the connection. Unlike
`python3 -m http.server` it never looks names up in DNS, which inside the lab's
namespaces would wait for a resolver that cannot be reached.

The answer goes out in one segment. When the router's next hops change, the client's
later packets (its ACKs) may be hashed to another node, which resets the connection: a
client that already holds the whole answer does not notice.
"""
import http.server
import socket
import socketserver
import sys


def main():
    address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body = (name + "\n").encode()
    response = (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            self.log_request(200)
            self.wfile.write(response)

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        daemon_threads = True

        def server_bind(self):
            # HTTPServer.server_bind would call socket.getfqdn: a DNS lookup.
            socketserver.TCPServer.server_bind(self)
            self.server_name, self.server_port = address, port

    server = Server((address, port), Handler)
    print(f"answering {name} on {address} port {port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
