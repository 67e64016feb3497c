"""XEP-0215 against Strata with Debian's slixmpp 1.8.3, then the credentials against a real TURN
server (coturn, started by the test on loopback): the client asks the server for its TURN services,
allocates a relay with the username and password it got (RFC 5766 Allocate with the long-term
credential mechanism, RFC 5389 §10.2), and again with a password it altered. The account exists already.

usage: slix_turn.py PORT PASSWORD_SUFFIX USER OTHER
prints: SERVICE <type> <host> <port> <transport> <username> <expires>, ALLOCATED, REFUSED <code> (the altered password), DONE
"""
import asyncio
import hashlib
import hmac
import os
import socket
import struct
import xml.etree.ElementTree as ET

from slix_common import BaseClient, USER1 as ME, say

NS = 'urn:xmpp:extdisco:2'


def attr(kind, value):
    return struct.pack('!HH', kind, len(value)) + value + b'\0' * ((4 - len(value) % 4) % 4)


def message(kind, attrs, key=None):
    """A STUN message; with MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to it) when a key is given."""
    tid, body = os.urandom(12), b''.join(attrs)
    if key:
        head = struct.pack('!HHI', kind, len(body) + 24, 0x2112A442) + tid
        body += attr(0x0008, hmac.new(key, head + body, hashlib.sha1).digest())
    return struct.pack('!HHI', kind, len(body), 0x2112A442) + tid + body


def parse(data):
    kind, length = struct.unpack('!HH', data[:4])
    attrs, i = {}, 20
    while i < 20 + length:
        t, n = struct.unpack('!HH', data[i:i + 4])
        attrs[t] = data[i + 4:i + 4 + n]
        i += 4 + n + (4 - n % 4) % 4
    return kind, attrs


def allocate(host, port, username, password):
    """An Allocate for UDP; the server's 401 gives realm and nonce, the second Allocate proves the password."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    udp = attr(0x0019, bytes([17, 0, 0, 0]))
    s.sendto(message(0x0003, [udp]), (host, port))
    _, a = parse(s.recv(2048))
    realm, nonce = a[0x0014], a[0x0015]
    key = hashlib.md5(username.encode() + b':' + realm + b':' + password.encode()).digest()
    s.sendto(message(0x0003, [udp, attr(0x0006, username.encode()), attr(0x0014, realm), attr(0x0015, nonce)], key), (host, port))
    kind, a = parse(s.recv(2048))
    s.close()
    if kind == 0x0103:
        return 'ALLOCATED'
    code = a.get(0x0009, b'\0\0\0\0')
    return 'REFUSED %d' % (code[2] * 100 + code[3])


async def main():
    me = BaseClient(ME + '/slix', ('xep_0030',))
    await me.login()
    iq = me.Iq(stype='get', sto='localhost')
    iq.append(ET.fromstring("<services xmlns='%s' type='turn'/>" % NS))
    result = await iq.send(timeout=10)
    turn = None
    for s in result.xml.find('{%s}services' % NS):
        say('SERVICE', s.get('type'), s.get('host'), s.get('port'), s.get('transport'), s.get('username'), s.get('expires'))
        turn = s
    loop = asyncio.get_event_loop()
    host, port, user, password = turn.get('host'), int(turn.get('port')), turn.get('username'), turn.get('password')
    say(await loop.run_in_executor(None, allocate, host, port, user, password))
    say(await loop.run_in_executor(None, allocate, host, port, user, password[:-2] + ('AA' if password[-2:] != 'AA' else 'BB')))
    me.disconnect()
    say('DONE')


asyncio.get_event_loop().run_until_complete(main())
