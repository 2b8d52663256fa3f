"""A minimal raw PostgreSQL v3 protocol client for tests that must see the
bytes: bad input, SQLSTATEs of login failures (psycopg 3.1 does not expose
them for failed connections), SSLRequest/GSSENCRequest answers. Supports
trust, cleartext, md5 and SCRAM-SHA-256 logins (with or without channel
binding, over TLS or not). Not a driver.
"""
import base64
import hashlib
import hmac
import os
import socket
import struct
import time

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


class ProtocolError(Exception):
    pass


class ServerError(Exception):
    """An ErrorResponse; .fields maps field codes ('C', 'M', 'S'...) to text."""

    def __init__(self, fields):
        self.fields = fields
        super().__init__("%s %s: %s" % (fields.get("S"), fields.get("C"), fields.get("M")))

    @property
    def sqlstate(self):
        return self.fields.get("C")


def open_socket(port, host="127.0.0.1", timeout=10):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def startup_packet(user, dbname="postgres", version=PROTOCOL_3_0, **params):
    body = struct.pack("!I", version)
    items = {"user": user, "database": dbname}
    items.update(params)
    for k, v in items.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def message(mtype, payload=b""):
    return mtype + struct.pack("!I", len(payload) + 4) + payload


def recv_exact(sock, n):
    """n bytes, or fewer if the peer closed the connection."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def read_message(sock):
    """(type, payload), or None when the peer closed (or reset) the connection."""
    try:
        head = recv_exact(sock, 5)
    except ConnectionResetError:
        return None
    if len(head) < 5:
        return None
    mtype, length = head[:1], struct.unpack("!I", head[1:])[0]
    if length < 4 or length > (1 << 30):
        raise ProtocolError("bad length %d for message %r" % (length, mtype))
    payload = recv_exact(sock, length - 4)
    if len(payload) < length - 4:
        return None
    return mtype, payload


def parse_fields(payload):
    """ErrorResponse/NoticeResponse payload -> {code: value}."""
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode("utf-8", "replace")
    return fields


def error_or_close(sock, timeout=10):
    """Read until an ErrorResponse or EOF. Returns ("error", fields) or
    ("closed", None). Other messages are skipped. Raises on timeout."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = read_message(sock)
        except socket.timeout:
            break
        except ProtocolError:
            return "closed", None
        if m is None:
            return "closed", None
        if m[0] == b"E":
            return "error", parse_fields(m[1])
    raise AssertionError("neither an ErrorResponse nor a close within %ss" % timeout)


def _scram_client(sock, user, password, mechanisms, scram=None):
    """SCRAM-SHA-256; SCRAM (a dict) may set "mech" (the mechanism named),
    "gs2" (the gs2 header, default "n,,") and "cbind" (bytes appended to the
    gs2 header in c=, the channel binding data)."""
    scram = scram or {}
    mech = scram.get("mech", "SCRAM-SHA-256")
    gs2 = scram.get("gs2", "n,,")
    if mech not in mechanisms and not scram.get("force"):
        raise ProtocolError("server offers %r, not %s" % (mechanisms, mech))
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=,r=" + nonce
    first = (gs2 + first_bare).encode()
    sock.sendall(message(b"p", mech.encode() + b"\0" + struct.pack("!i", len(first)) + first))
    m = _expect_auth(sock, 11)
    server_first = m.decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    if not attrs["r"].startswith(nonce):
        raise ProtocolError("server nonce does not extend ours")
    salt = base64.b64decode(attrs["s"])
    iters = int(attrs["i"])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iters)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    cbind = base64.b64encode(gs2.encode() + scram.get("cbind", b"")).decode()
    final_wo_proof = "c=" + cbind + ",r=" + attrs["r"]
    auth_msg = ",".join([first_bare, server_first, final_wo_proof]).encode()
    sig = hmac.new(stored_key, auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = final_wo_proof + ",p=" + base64.b64encode(proof).decode()
    sock.sendall(message(b"p", final.encode()))
    _expect_auth(sock, 12)


def _expect_auth(sock, code):
    m = read_message(sock)
    if m is None:
        raise ProtocolError("connection closed during authentication")
    if m[0] == b"E":
        raise ServerError(parse_fields(m[1]))
    if m[0] != b"R" or struct.unpack("!I", m[1][:4])[0] != code:
        raise ProtocolError("expected Authentication %d, got %r" % (code, m[:1] + (m[1][:8],)))
    return m[1][4:]


def start_tls(sock, context=None, server_hostname="localhost"):
    """SSLRequest, then a TLS handshake (no certificate checks unless
    CONTEXT says so); returns the TLS socket."""
    import ssl
    sock.sendall(struct.pack("!II", 8, SSL_REQUEST))
    if recv_exact(sock, 1) != b"S":
        raise ProtocolError("server refused TLS")
    if context is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock, server_hostname=server_hostname)


def tls_server_end_point(tls_sock):
    """RFC 5929 channel binding data of the peer's certificate (SHA-256
    signed certificates: their SHA-256 hash)."""
    return hashlib.sha256(tls_sock.getpeercert(binary_form=True)).digest()


def login(port, user, dbname="postgres", password=None, host="127.0.0.1", timeout=10,
          tls=None, scram=None):
    """Connect and authenticate; returns (sock, backend_key) after
    ReadyForQuery. Raises ServerError with the server's fields on failure.
    TLS: an ssl.SSLContext, or True for one that checks nothing. SCRAM: a
    dict for _scram_client(); a callable value of "cbind" gets the TLS
    socket and returns the data."""
    sock = open_socket(port, host, timeout)
    try:
        if tls:
            sock = start_tls(sock, None if tls is True else tls)
        if scram and callable(scram.get("cbind")):
            scram = dict(scram, cbind=scram["cbind"](sock))
        sock.sendall(startup_packet(user, dbname))
        key = None
        while True:
            m = read_message(sock)
            if m is None:
                raise ProtocolError("connection closed during login")
            t, p = m
            if t == b"E":
                raise ServerError(parse_fields(p))
            if t == b"R":
                code = struct.unpack("!I", p[:4])[0]
                if code == 0:
                    continue
                if password is None:
                    raise ProtocolError("server wants a password (auth code %d)" % code)
                if code == 3:
                    sock.sendall(message(b"p", password.encode() + b"\0"))
                elif code == 5:
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    outer = "md5" + hashlib.md5(inner.encode() + p[4:8]).hexdigest()
                    sock.sendall(message(b"p", outer.encode() + b"\0"))
                elif code == 10:
                    mechs = [x.decode() for x in p[4:].split(b"\0") if x]
                    _scram_client(sock, user, password, mechs, scram)
                else:
                    raise ProtocolError("unsupported auth code %d" % code)
            elif t == b"K":
                key = struct.unpack("!II", p)
            elif t == b"Z":
                return sock, key
    except Exception:
        sock.close()
        raise


def send_cancel(port, key):
    """A CancelRequest for the session KEY (login()'s (pid, secret))."""
    with open_socket(port) as s:
        s.sendall(struct.pack("!IIII", 16, CANCEL_REQUEST, key[0], key[1]))
        s.settimeout(10)
        assert s.recv(1) == b""  # answered by closing, as PostgreSQL does


def simple_query(sock, sql):
    """Send a Query; return (rows as lists of str|None, error fields or None).
    An error followed by a closed connection (FATAL) is returned as well."""
    sock.sendall(message(b"Q", sql.encode() + b"\0"))
    return read_result(sock)


def read_result(sock):
    """Read a simple Query's answer up to ReadyForQuery, as simple_query()."""
    rows, err = [], None
    while True:
        m = read_message(sock)
        if m is None:
            if err is not None:  # a FATAL error, then the close
                return rows, err
            raise ProtocolError("connection closed during query")
        t, p = m
        if t == b"D":
            n = struct.unpack("!H", p[:2])[0]
            off, row = 2, []
            for _ in range(n):
                ln = struct.unpack("!i", p[off:off + 4])[0]
                off += 4
                if ln < 0:
                    row.append(None)
                else:
                    row.append(p[off:off + ln].decode())
                    off += ln
            rows.append(row)
        elif t == b"E":
            err = parse_fields(p)
        elif t == b"Z":
            return rows, err
