"""A real SMTP relay on loopback (aiosmtpd): plain, STARTTLS or implicit TLS, optional AUTH."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Collection, Mapping
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.net import LOOPBACK, free_port


class _Inbox:
    """aiosmtpd handler that keeps every message it is given, and refuses the recipients in `refuse`."""

    def __init__(self, refuse: Collection[str] = ()) -> None:
        self.messages: list[Any] = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        """aiosmtpd's hook for a recipient: 550 for one in `refuse`, else accept it."""
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """aiosmtpd's hook for a received message: keep it."""
        self.messages.append(envelope)
        return "250 OK"


def _echo(mechanism: str, login: LoginPassword) -> str:
    """What the client sent for AUTH PLAIN or LOGIN, decoded and as the base64 on the wire."""
    user, password = login.login.decode(), login.password.decode()
    if mechanism == "PLAIN":
        wire = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    else:
        wire = " ".join(base64.b64encode(part.encode()).decode() for part in (user, password))
    return f"AUTH {mechanism} {user} / {password} ({wire})"


class SmtpServer:
    """An aiosmtpd Controller on a free port.

    `starttls`: a server context offered through STARTTLS (required before AUTH).
    `implicit_tls`: a server context for TLS from the first byte (SMTPS).
    `users`: accepted logins (user -> password); AUTH is offered only when given, and only
    after TLS unless `plaintext_auth`.
    `refuse`: recipient addresses answered with 550.
    `echo_auth`: a hostile relay that rejects every AUTH and echoes all it got in the session (the login,
    the password and the base64 the client sent, PLAIN then LOGIN as smtplib tries them) in its 535 reply.
    `messages`: every mail received (the smtp checks must never send one).
    """

    def __init__(self, *, starttls: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None,
                 users: Mapping[str, str] | None = None, plaintext_auth: bool = False, refuse: Collection[str] = (),
                 echo_auth: bool = False):
        self.port = free_port()
        self.inbox = _Inbox(refuse)
        self.users = dict(users or {})
        self.echo_auth = echo_auth
        options: dict[str, Any] = {"tls_context": starttls, "require_starttls": starttls is not None,
                                   "ssl_context": implicit_tls, "auth_require_tls": not plaintext_auth}
        if users is not None or echo_auth:
            options["authenticator"] = self._authenticate
        self.controller = Controller(self.inbox, hostname=LOOPBACK, port=self.port,
                                     server_hostname="mail.test", **options)

    @property
    def messages(self) -> list[Any]:
        """The envelopes received so far."""
        return self.inbox.messages

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        """aiosmtpd's authenticator: success for a known user with the right password."""
        if self.echo_auth:
            session.echoed = [*getattr(session, "echoed", []), _echo(mechanism, auth_data)]
            return AuthResult(success=False, handled=False, message=f"535 5.7.8 {'; '.join(session.echoed)} rejected")
        ok = (isinstance(auth_data, LoginPassword)
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        """Listen and serve in aiosmtpd's background thread."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
