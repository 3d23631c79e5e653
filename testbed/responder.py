#!/usr/bin/env python3
"""Answers every HTTP GET with a name: the lab's stand-in for a Service behind kube-proxy.

    responder.py ADDRESS PORT NAME

Binds ADDRESS (IPv4 or IPv6) only, answers `NAME\\n` and closes the connection. Unlike
`python3 -m http.server` it never looks names up in DNS, which inside the lab's
namespaces would wait for a resolver that cannot be reached.
"""
import http.server
import socket
import socketserver
import sys


def main():
    address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body = (name + "\n").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
