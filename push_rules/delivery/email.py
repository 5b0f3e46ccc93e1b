"""E-mail delivery over SMTP. The Message-ID is derived from the push record, so a re-send is recognisable."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from push_rules.delivery.message import PushMessage
from push_rules.delivery.webhook import DeliveryResult


class EmailSender:
    def __init__(self, host: str, port: int, sender: str, user: str | None = None, password: str | None = None, starttls: bool = False, timeout: float = 30.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def build(self, to: str, message: PushMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = message.title
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = f"<{message.delivery_id}@policykb>"
        mail["X-PolicyKB-Delivery"] = message.delivery_id
        mail.set_content(f"{message.enterprise_name}：\n\n{message.body}\n\n—— 政策通（PolicyKB）\n")
        return mail

    def send(self, to: str, message: PushMessage) -> DeliveryResult:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(self.build(to, message))
        except (smtplib.SMTPException, OSError) as error:
            return DeliveryResult(False, None, f"邮件发送失败：{type(error).__name__}: {error}")
        return DeliveryResult(True, 250)
