"""The web console served at ``/console``: server-rendered pages (Jinja2) with htmx, over
the same services as the API. See docs/console.md."""
