"""The Hub's pages: My tables, a table, a situation, meeting mode, the propose form, overdue door knocks and the RTD
export. Each view: access (``hub.selectors``, 404 for what is not the user's) → service (``hub.services``) →
render; one view serves its page and its htmx partial. The identity of the persons is read in one place,
``situation.situation`` through ``hub.selectors.identity_for``; meeting mode never reads it."""
