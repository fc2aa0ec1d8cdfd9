#!/usr/bin/env python3
"""Records what openconnect sends to a scripted OpenConnect server, to seed the fuzz corpus.

Run inside a network namespace of your own (see capture.sh): a TLS listener on ADDRESS:PORT that
answers the sign-in with the token form, the auth-reply with success and a cookie, and the
CONNECT with a tunnel (DPD every second, DTLS on the same port), and a UDP socket on the same port
that records the DTLS datagrams. Everything received is written under OUT: one file per HTTP
request (head and body), the CSTP stream after the CONNECT, and one file per UDP datagram.
"""
import os
import socket
import ssl
import sys
import threading
import time

address, port, cert, key, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
os.makedirs(out, exist_ok=True)

FORM = ('<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">'
        '<auth id="main"><title>OpenTunnel sign-in</title><message>Enter an access token</message>'
        '<form method="post" action="/auth"><input type="password" name="password" label="Access token:"/></form></auth></config-auth>\n')
SUCCESS = ('<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" type="complete" aggregate-auth-version="2">'
           '<auth id="success"><message>Signed in</message></auth></config-auth>\n')


def save(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def read_request(conn, buffered):
    while b"\r\n\r\n" not in buffered:
        chunk = conn.recv(65536)
        if not chunk:
            return None, buffered
        buffered += chunk
    head, rest = buffered.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def respond(conn, body, extra=b""):
    data = body.encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n%s\r\n" % (len(data), extra) + data)


def udp():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    sock.settimeout(1)
    n = 0
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            continue
        n += 1
        save("udp-%02d.bin" % n, data)


threading.Thread(target=udp, daemon=True).start()
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(4)
requests = 0
deadline = time.time() + 20
listener.settimeout(1)
while time.time() < deadline:
    try:
        raw, _ = listener.accept()
    except socket.timeout:
        continue
    conn = context.wrap_socket(raw, server_side=True)
    buffered = b""
    while True:
        request, buffered = read_request(conn, buffered)
        if request is None:
            break
        requests += 1
        save("request-%02d.http" % requests, request)
        if request.startswith(b"CONNECT"):
            conn.sendall(b"HTTP/1.1 200 CONNECTED\r\nX-CSTP-Version: 1\r\nX-CSTP-Address: 198.18.128.2\r\n"
                         b"X-CSTP-Netmask: 255.255.255.0\r\nX-CSTP-MTU: 1399\r\nX-CSTP-Base-MTU: 1500\r\nX-CSTP-DPD: 1\r\n"
                         b"X-CSTP-Keepalive: 2\r\nX-CSTP-Idle-Timeout: none\r\nX-CSTP-Rekey-Method: none\r\n"
                         b"X-DTLS-Session-ID: " + b"ab" * 32 + b"\r\nX-DTLS-Port: %d\r\nX-DTLS-DPD: 1\r\nX-DTLS-Keepalive: 2\r\n"
                         b"X-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\r\nX-DTLS-MTU: 1399\r\n\r\n" % port)
            stream = buffered
            conn.settimeout(1)
            end = time.time() + 6
            while time.time() < end:
                try:
                    chunk = conn.recv(65536)
                except (socket.timeout, ssl.SSLError):
                    continue
                if not chunk:
                    break
                stream += chunk
            save("cstp-stream.bin", stream)
            break
        elif b'type="init"' in request:
            respond(conn, FORM)
        else:
            respond(conn, SUCCESS, b"Set-Cookie: webvpn=8f1b2c3d4e5f60718293a4b5c6d7e8f9; Secure\r\n")
    conn.close()
