"""Rows written once: the abstract base of every log (security events here; referral events and the clinical
access log in referrals). On PostgreSQL a trigger refuses UPDATE and DELETE on each such table too, whoever
connects (``handoff_append_only()``, created by referrals 0002 and accounts 0005)."""

from __future__ import annotations

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows are written once. On PostgreSQL a trigger refuses UPDATE and DELETE too."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")
