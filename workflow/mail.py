"""E-mail through the configured SMTP server. No SMTP_HOST: reminders stay in the app only."""
import smtplib
from email.message import EmailMessage


class SmtpMailer:
    def __init__(self, host, port=25, sender="cadreflow@localhost", user=None, password=None, starttls=False, timeout=10):
        self.host, self.port, self.sender = host, int(port), sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, to, subject, body):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def mailer_from_config(config):
    if not config.get("SMTP_HOST"):
        return None
    return SmtpMailer(config["SMTP_HOST"], config.get("SMTP_PORT", 25), config.get("SMTP_FROM", "cadreflow@localhost"),
                      config.get("SMTP_USER"), config.get("SMTP_PASSWORD"), config.get("SMTP_STARTTLS", False))
