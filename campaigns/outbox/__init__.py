"""The outbox's sending side: claim due messages, decide at send time whether each may go,
send them over one connection per batch, record each outcome in its own commit.

The one window that cannot be closed: a worker killed after the SMTP server accepted a
message and before the commit that marks it sent. Its lease runs out, the sweeper puts it
back, and it is sent again: at most one duplicate per kill per worker, only that message.
"""
