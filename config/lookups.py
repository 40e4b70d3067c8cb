"""Lookups that keep an impossible number from reaching the database driver."""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.lookups import In

# No integer column anywhere holds more than 64 bits.
INT64_RANGE = (-(2**63), 2**63 - 1)


@IntegerField.register_lookup
class IntegerFieldIn(In):
    """`pk__in` without the values no integer column can hold.

    Django already turns an out-of-range `exact`, `gt` or `lt` into an empty or full result (IntegerFieldOverflow),
    but not `in`: SQLite's driver raises OverflowError binding a 30-digit id, so a form's ModelMultipleChoiceField
    (the roster's districts, the admin's many-to-many widgets) or an admin action's selection answered 500. Such a
    value matches no row, so leaving it out changes no result; with nothing left the query is empty.
    """

    def get_prep_lookup(self):
        prepared = super().get_prep_lookup()
        if not self.rhs_is_direct_value():  # a subquery
            return prepared
        low, high = INT64_RANGE
        return [value for value in prepared if not isinstance(value, int) or low <= value <= high]
