from __future__ import annotations


class ReferralError(Exception):
    """A request that cannot be carried out; the message is meant for the person who asked."""


class Refused(ReferralError):
    """The person may not do this now (``referrals.policy``). The message says why."""
