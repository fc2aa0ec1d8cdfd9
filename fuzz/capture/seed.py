#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/ from a capture folder
(capture.sh) and from inputs built after the protocol (CSTP frame types, sealed DTLS records,
gateway configurations). Usage: fuzz/capture/seed.py CAPTURE-FOLDER"""
import glob
import json
import os
import sys

capture = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def read(name):
    with open(os.path.join(capture, name), "rb") as f:
        return f.read()


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def frame(kind, payload=b""):
    return b"STF\x01" + len(payload).to_bytes(2, "big") + bytes([kind, 0]) + payload


init, reply, connect, reconnect = (read("request-%02d.http" % i) for i in range(1, 5))
stream = read("cstp-stream.bin")
hello = read("udp-01.bin")
ip = bytes.fromhex("4500001c000000004011000 0c6128002c612020a0102030400080000".replace(" ", ""))

# http: a read-size byte (see ChunkedStream.FromInput), then what the client sends on one connection.
for chunk in (0, 1, 16):
    write("http", "openconnect-init-%d" % chunk, bytes([chunk]) + init)
write("http", "openconnect-auth-reply", b"\x00" + reply)
write("http", "openconnect-connect", b"\x00" + connect)
write("http", "openconnect-reconnect-with-address", b"\x02" + reconnect)
write("http", "openconnect-signin-then-connect", b"\x03" + init + reply + connect + stream[:64])

# auth-xml: the bodies the client posts.
for name, request in (("openconnect-init", init), ("openconnect-auth-reply", reply)):
    write("auth-xml", name, request.split(b"\r\n\r\n", 1)[1])
write("auth-xml", "logout", b'<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" type="logout"><session-token/></config-auth>')

# cstp: a read-size byte, then the stream after the CONNECT: openconnect's DPDs as captured, and every frame type.
write("cstp", "openconnect-dpd-requests", b"\x00" + stream[:8 * 64])
write("cstp", "openconnect-dpd-requests-chunked", b"\x01" + stream[:8 * 64])
mixed = (frame(0, ip) + frame(3, b"\x00" * 100) + frame(4) + frame(7) + frame(0, ip * 40) + frame(8, b"\x01\x02")
         + frame(5, b"\xb0Client received SIGINT"))
write("cstp", "every-frame-type", b"\x00" + mixed)
write("cstp", "every-frame-type-chunked", b"\x05" + mixed)
write("cstp", "data-mtu-probe", b"\x00" + frame(3, bytes(1399)) + frame(0, bytes(1399)))

# dtls-record: openconnect's ClientHello as captured; an odd first byte also seals the rest (a CSTP data packet).
for i, path in enumerate(sorted(glob.glob(os.path.join(capture, "udp-*.bin")))[:2]):
    write("dtls-record", "openconnect-client-hello-%d" % i, open(path, "rb").read())
write("dtls-record", "sealed-data-packet", b"\x01\x00" + ip)
write("dtls-record", "sealed-dpd", b"\x01\x03" + bytes(64))


# dtls-demux: items [control, length (2 bytes), bytes]; control bit 0: from the rebound address,
# bit 1: seal as a client record, bits 2-3: content type (data, alert, handshake, change cipher spec).
def item(control, data):
    return bytes([control]) + len(data).to_bytes(2, "big") + data


write("dtls-demux", "openconnect-client-hello", item(0, hello))
write("dtls-demux", "client-hello-from-new-port", item(1, hello))
write("dtls-demux", "data-dpd-keepalive", item(2, b"\x00" + ip) + item(2, b"\x03" + bytes(32)) + item(2, b"\x07"))
write("dtls-demux", "rebind-then-data", item(3, b"\x00" + ip) + item(2, b"\x00" + ip))
write("dtls-demux", "disconnect", item(2, b"\x05\xb0Client received SIGINT"))
write("dtls-demux", "alert", item(2 | 4, b"\x01\x00"))
write("dtls-demux", "handshake-record-after-established", item(2 | 8, bytes(16)) + item(0, hello))
write("dtls-demux", "garbage", item(0, b"\x17\xfe\xfd\x00\x01" + bytes(8)) + item(1, b"junk"))

# config: the sample deployment, a full one, and one refused.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "gateway", "gateway.sample.json")) as f:
    sample = f.read().replace("@DATA@", "/var/lib/opentunnel-gateway")
write("config", "sample", sample.encode())
full = json.loads(sample)
full["Network"].update({"IPv4Pool": "198.18.128.0/24", "IPv6Pool": "2001:db8:1::/64", "DnsServers": ["198.18.2.53", "2001:db8::53"],
                        "SplitInclude": ["198.18.2.0/24", "2001:db8:2::/48"], "SplitExclude": ["198.18.2.128/25"], "DefaultDomain": "corp.example"})
write("config", "split-tunnel-dual-stack", json.dumps(full, indent=2).encode())
write("config", "refused-bad-pool-and-port", json.dumps({"Listener": {"Port": 70000}, "Network": {"IPv4Pool": "198.18.0.0/33"}}).encode())
