"""Mail: message builders and senders (console + development mailbox, SMTP)."""
