"""Explainable triage of a stakeholder's request: type, urgency, duplicate, missing "why"."""
