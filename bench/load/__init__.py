"""The intake load benchmark's parts: a fake Slack Web API, a bare slack-bolt app to compare
with, and a load generator; bench/intake_load.py runs them."""
