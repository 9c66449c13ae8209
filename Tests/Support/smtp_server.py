"""A real SMTP server for the mail tests: aiosmtpd (Debian's python3-aiosmtpd) on 127.0.0.1.

smtp_server.py PORT DIRECTORY [options]
  --tls CERT KEY       offer STARTTLS with this certificate and require it before anything else
  --auth USER PASSWORD require AUTH (PLAIN or LOGIN) with these credentials
  --auth-mechanisms M  offer only these AUTH mechanisms (comma-separated, e.g. LOGIN)
  --fail-first CODE    answer the first DATA with CODE (e.g. 451), then accept
  --reject CODE        answer every RCPT with CODE (e.g. 550)
  --bind ADDRESS       listen there instead of 127.0.0.1 (the compose stand-in: 0.0.0.0)
Each accepted message is written as DIRECTORY/N.eml (the envelope in N.json). Prints "ready".
"""
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    options = {}
    while args:
        name = args.pop(0)
        if name in ("--tls", "--auth"):
            options[name] = (args.pop(0), args.pop(0))
        else:
            options[name] = args.pop(0)

    state = {"count": 0, "failed": False}
    lock = threading.Lock()

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if "--reject" in options:
                return f"{options['--reject']} 5.1.1 no such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            with lock:
                if "--fail-first" in options and not state["failed"]:
                    state["failed"] = True
                    return f"{options['--fail-first']} 4.3.0 try again later"
                state["count"] += 1
                number = state["count"]
            with open(os.path.join(directory, f"{number}.eml"), "wb") as f:
                f.write(envelope.original_content)
            with open(os.path.join(directory, f"{number}.json"), "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None}, f)
            return "250 2.0.0 accepted"

    parameters = {}
    if "--tls" in options:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*options["--tls"])
        parameters.update(tls_context=context, require_starttls=True)
    if "--auth" in options:
        user, password = options["--auth"]

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        parameters.update(authenticator=authenticator, auth_required=True, auth_require_tls="--tls" in options)
        if "--auth-mechanisms" in options:
            offered = set(options["--auth-mechanisms"].split(","))
            parameters["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN") if m not in offered]

    controller = Controller(Handler(), hostname=options.get("--bind", "127.0.0.1"), port=port, **parameters)
    controller.start()
    # A stop is SIGTERM, whatever the parent left it: an ignored disposition and a blocked mask
    # are both inherited.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


main()
