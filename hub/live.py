"""The Hub's websocket groups: a person's socket joins ``hub-table-<id>`` for every table they coordinate or act
for an agency at (registered with ``notifications.groups`` in ``HubConfig.ready``; notifications never imports hub).

Hints to those groups say "table T changed" or "situation S changed" and nothing else; the page then re-fetches its
partial through the ordinary view, where ``hub.selectors`` and ``hub.policy`` decide what it shows. An officer who
only proposed a situation is not at the table: they hear about it through their own ``user-<id>`` group.
"""

from __future__ import annotations

from django.db.models import Q

from hub import policy
from hub.models import Table, TableAgency
from notifications.hints import hub_table_group


def table_groups_for(user) -> list[str]:
    """``hub-table-<id>`` for each active table ``user`` coordinates or sits at (one or two queries)."""
    if not user.is_authenticated or not user.is_active:
        return []
    acting = TableAgency.objects.filter(policy.acting_condition(user), is_active=True).values("table_id")
    table_ids = Table.objects.filter(
        Q(organisation_id__in=policy.coordinated_organisation_ids(user)) | Q(pk__in=acting), is_active=True
    ).values_list("pk", flat=True)
    return [hub_table_group(pk) for pk in sorted(table_ids)]
