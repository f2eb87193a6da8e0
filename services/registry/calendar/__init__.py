"""The official working-day calendar and counting on it.

``counting`` counts (pure), ``shipped`` holds the official years shipped as data, ``service.load`` gives the
calendar in effect for a request. Domains with deadlines call ``service.load`` once per request and compute
their due dates on read (docs/adr/0006-deadlines-on-the-working-day-calendar.md).
"""
