"""Which sending errors are worth another try.

SMTP replies say it themselves: 4xx is transient, 5xx permanent (RFC 5321 §4.2.1). A lost
or refused connection is transient. An email service's API error (django-anymail) carries
the HTTP status: 429 and 5xx are transient, other 4xx permanent; a recipient the service
refused is permanent.
"""

import smtplib


def is_permanent(exc: BaseException) -> bool:
    """True when retrying ``exc`` cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if type(exc).__name__ == "AnymailRecipientsRefused":
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return 400 <= status < 500 and status != 429
    return False


def breaks_connection(exc: BaseException) -> bool:
    """True when the SMTP connection is no longer usable after ``exc``."""
    return isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError)
