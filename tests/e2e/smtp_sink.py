#!/usr/bin/python3
"""smtp_sink.py - an SMTP server for tests (Debian's python3-aiosmtpd).

usage: /usr/bin/python3 smtp_sink.py DIR PORTFILE [--auth USER:PASSWORD] [--port N]
           [--tls CERT:KEY (--starttls | --implicit-tls)] [--reject ADDRESS]... [--mute]

Listens on 127.0.0.1 (a port the OS chooses unless --port), writes the port
to PORTFILE once it accepts connections, and stores each message as
DIR/NNNNNN.eml with its envelope in DIR/NNNNNN.env (MAIL FROM, RCPT TO and
the authenticated user, one per line), each written atomically. With --auth
every message must be sent after AUTH with that user and password. While the
file DIR/hold exists, DATA is held before it is stored (DIR/holding marks
it), so a test can kill the client mid-delivery.

With --tls the server has that certificate and key (PEM): --starttls offers
STARTTLS and refuses MAIL until the client has used it; --implicit-tls speaks
TLS from the first byte (smtps). Every envelope file ends with a line
"TLS: no", or "TLS: VERSION starttls|implicit" saying how the message came;
each AUTH attempt adds a line to DIR/auth.log with the same TLS word.

Every RCPT TO adds a line "ADDRESS CODE" to DIR/rcpt.log (in the order they
came); an ADDRESS given with --reject is answered 550 (no such user), so the
client must treat it as permanent. With --mute the server accepts TCP
connections and never says a word (no greeting), like a host that hangs."""
import asyncio
import os
import time
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def tls_mode(server):
    """how this session is protected: no, or the TLS version and how it began"""
    obj = server.transport.get_extra_info("ssl_object") if server.transport else None
    if obj is None:
        return "no"
    return "%s %s" % (obj.version(), "starttls" if server._tls_protocol is not None else "implicit")


class Handler:
    def __init__(self, directory, reject=()):
        self.dir = directory
        self.reject = set(reject)
        self.n = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = "550" if address in self.reject else "250"
        with open(os.path.join(self.dir, "rcpt.log"), "a") as f:
            f.write("%s %s\n" % (address, code))
        if code == "550":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        hold = os.path.join(self.dir, "hold")
        if os.path.exists(hold):
            # a test holds this DATA until it removes DIR/hold; the 20 ms is
            # the poll interval, and the hold ends after 60 s in any case
            atomic_write(os.path.join(self.dir, "holding"), b"1")
            deadline = time.monotonic() + 60
            while os.path.exists(hold) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self.n += 1
        base = os.path.join(self.dir, "%06d" % self.n)
        user = getattr(session, "auth_data", None)
        if isinstance(user, (bytes, bytearray)):
            user = user.decode()
        env = "MAIL FROM: %s\n" % envelope.mail_from
        env += "".join("RCPT TO: %s\n" % r for r in envelope.rcpt_tos)
        env += "AUTH: %s\n" % (user or "")
        env += "TLS: %s\n" % tls_mode(server)
        atomic_write(base + ".env", env.encode())
        atomic_write(base + ".eml", envelope.original_content or envelope.content)
        return "250 OK"


def mute(portfile, port):
    """accept connections, read and drop whatever comes, never answer"""
    async def silent(reader, writer):
        try:
            while await reader.read(4096):
                pass
        except ConnectionError:
            pass
        writer.close()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(asyncio.start_server(silent, "127.0.0.1", port, reuse_address=True))
    atomic_write(portfile, str(server.sockets[0].getsockname()[1]).encode())
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()


def main():
    warnings.simplefilter("ignore")
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    directory, portfile = args[0], args[1]
    auth = None
    port = 0
    if "--auth" in args:
        auth = args[args.index("--auth") + 1].split(":", 1)
    if "--port" in args:
        port = int(args[args.index("--port") + 1])
    tls = None
    if "--tls" in args:
        cert, key = args[args.index("--tls") + 1].split(":", 1)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
    starttls = tls is not None and "--starttls" in args
    implicit = tls is not None and "--implicit-tls" in args
    if ("--starttls" in args or "--implicit-tls" in args) and tls is None:
        sys.exit("smtp_sink.py: --starttls and --implicit-tls need --tls CERT:KEY")
    os.makedirs(directory, exist_ok=True)
    if "--mute" in args:
        mute(portfile, port)
        return
    reject = [args[i + 1] for i, a in enumerate(args) if a == "--reject"]
    handler = Handler(directory, reject)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth is not None and auth_data.login.decode() == auth[0]
              and auth_data.password.decode() == auth[1])
        with open(os.path.join(directory, "auth.log"), "a") as f:
            f.write("%s %s TLS: %s\n" % (mechanism, "ok" if ok else "refused", tls_mode(server)))
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    def factory():
        kw = {}
        if starttls:
            kw = {"tls_context": tls, "require_starttls": True}
        if auth is None:
            return SMTP(handler, decode_data=False, enable_SMTPUTF8=True, **kw)
        return SMTP(handler, decode_data=False, enable_SMTPUTF8=True, authenticator=authenticator,
                    auth_required=True, auth_require_tls=False, **kw)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", port, reuse_address=True,
                                                         ssl=tls if implicit else None))
    atomic_write(portfile, str(server.sockets[0].getsockname()[1]).encode())
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
