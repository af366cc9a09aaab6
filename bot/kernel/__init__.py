"""The kernel: what every floor above builds on (events, outbound messages, the clock, errors,
i18n, settings, review times and the ports adapters implement); it imports nothing of ours."""
