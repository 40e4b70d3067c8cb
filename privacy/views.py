"""The privacy officer's pages: the access log (filterable, paginated, exportable) and a person's accounting of
Part 2 disclosures. The role, not the Django admin; neither page shows a note, a name or anything read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from privacy import selectors
from privacy.access import privacy_officer_required
from privacy.export import csv_lines
from privacy.forms import AccessLogFilterForm, PersonForm

PAGE_SIZE = 50
ACCESS_LOG_HEADER = ["when", "source", "who", "record", "view", "reason", "outcome", "ip_address"]
DISCLOSURE_HEADER = [
    "when",
    "record",
    "recipient",
    "what (under the consent)",
    "disclosed_by",
    "consent",
    "consent_given",
    "consent_purpose",
    "consent_expires",
    "consent_revoked",
]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _log_row(row: dict) -> list:
    return [
        _when(row["at"]),
        selectors.SOURCE_LABELS[row["source"]],
        row["who"],
        row["record"],
        row["page"],
        row["why"],
        selectors.OUTCOME_LABELS.get(row["result"], row["result"]),
        row["ip"] or "",
    ]


def _csv(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@privacy_officer_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "privacy/access_log.html", {"form": form, "page": None}, status=400)
    log_filter = form.log_filter() if request.GET else selectors.LogFilter()
    page = Paginator(selectors.access_log(log_filter), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [dict(zip(ACCESS_LOG_HEADER, _log_row(row), strict=True)) for row in page.object_list]
    return render(request, "privacy/access_log.html", {"form": form, "page": page, "rows": rows})


@privacy_officer_required
@require_GET
def access_log_csv(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "privacy/access_log.html", {"form": form, "page": None}, status=400)
    log_filter = form.log_filter() if request.GET else selectors.LogFilter()
    rows = (_log_row(row) for row in selectors.access_log(log_filter).iterator())
    return _csv(f"access-log-{timezone.localdate():%Y-%m-%d}.csv", ACCESS_LOG_HEADER, rows)


def _disclosure_row(disclosure) -> list:
    consent = disclosure.consent
    return [
        _when(disclosure.created_at),
        disclosure.referral.public_id,
        disclosure.recipient,
        consent.information,
        disclosure.disclosed_by.get_username(),
        f"Part 2 consent {consent.pk}",
        _when(consent.given_at),
        consent.purpose,
        consent.expires_on.isoformat() if consent.expires_on else "",
        _when(consent.revoked_at),
    ]


def _person(request: HttpRequest) -> tuple[PersonForm, str]:
    bound = "person" in request.GET
    form = PersonForm(request.GET if bound else None)
    return form, (form.cleaned_data["person"].strip().upper() if bound and form.is_valid() else "")


@privacy_officer_required
@require_GET
def disclosures(request: HttpRequest) -> HttpResponse:
    form, person = _person(request)
    status = 400 if form.is_bound and not person else 200
    rows = [_disclosure_row(d) for d in selectors.disclosures_of_person(person)] if person else []
    context = {"form": form, "person": person, "rows": rows, "header": DISCLOSURE_HEADER}
    return render(request, "privacy/disclosures.html", context, status=status)


@privacy_officer_required
@require_GET
def disclosures_csv(request: HttpRequest) -> HttpResponse:
    form, person = _person(request)
    if not person:
        context = {
            "form": form,
            "person": "",
            "rows": [],
            "header": DISCLOSURE_HEADER,
            "problem": "Give the person's referral reference to export their accounting.",
        }
        return render(request, "privacy/disclosures.html", context, status=400)
    rows = (_disclosure_row(d) for d in selectors.disclosures_of_person(person).iterator(chunk_size=500))
    return _csv(f"disclosures-{person}.csv", DISCLOSURE_HEADER, rows)
